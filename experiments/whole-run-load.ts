// Does hellobench tell a machine that is busy for a whole run from a slow system? One seed, the
// smoke catalogue (legacy, estargz-noopt, estargz; 3 samples; wan link), run calm, then beside a
// load that starts before the run and ends after it:
//   storm      two loops of short-lived processes at normal priority (sha256sum of 40 MB, ~0.1 s each)
//   low        one busy loop at the lowest priority (nice 19)
//   duty       one loop busy 40 ms of every 100 ms at normal priority (~20% of 2 cores)
//   normal     one busy loop at normal priority
// Prints, per run: the exit status and its last line, samples set aside and why, the CPU of
// others the samples saw, each cell's median against the calm run's, `compare` against the calm
// run, and how much each sample's total moved against its calm cell by the CPU that competed.
// About 40 minutes with the images prepared.
//   node --import tsx experiments/whole-run-load.ts [OUT_DIR] [LOAD...]   (root)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import { stopOnSignal } from './interrupt.ts';
import { disturbanceKind } from '../src/bench/machine.ts';
import { median } from 'simple-statistics';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? join(root, 'results', `whole-run-load-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`));
const LOADS = ['storm', 'low', 'duty', 'normal'] as const;
type Load = typeof LOADS[number];
const chosen = (process.argv.length > 3 ? process.argv.slice(3) : [...LOADS]) as Load[];
for (const l of chosen) if (!LOADS.includes(l)) throw new Error(`whole-run-load: unknown load "${l}"; expected ${LOADS.join(', ')}`);
const hellobench = join(root, 'bin', 'hellobench');
const runArgs = ['run', '--workloads', 'workloads/smoke.yaml', '--modes', 'legacy,estargz-noopt,estargz', '--samples', '3', '--seed', '20261207'];

interface Sample { workload: string; mode: string; status: string; total?: number; disturbed?: string; bytes_fetched: { total: number }; machine?: Record<string, number> }
const readSamples = (dir: string): Sample[] => readFileSync(join(dir, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample);

// The load is ours: every process of it is kept here and killed by its PID, on the way out too.
const procs = new Set<ResultPromise>();
let stopped = true;
const spawn = (file: string, args: string[]) => {
  const p = execa(file, args, { reject: false, stdio: 'ignore' });
  procs.add(p);
  void p.finally(() => procs.delete(p));
  return p;
};
const hashFile = join(out, 'storm.bin');
function startLoad(load: Load): void {
  stopped = false;
  const node = process.execPath;
  if (load === 'storm') {
    for (let i = 0; i < 2; i++) void (async () => { while (!stopped) await spawn('sha256sum', [hashFile]); })();
  } else if (load === 'low') spawn('nice', ['-n', '19', node, '-e', 'for (;;);']);
  else if (load === 'normal') spawn(node, ['-e', 'for (;;);']);
  else spawn(node, ['-e', 'const b = () => { const t = Date.now(); while (Date.now() - t < 40); setTimeout(b, 60); }; b();']);
}
function stopLoad(): void {
  stopped = true;
  for (const p of procs) p.kill('SIGKILL');
}
let run: ResultPromise | undefined;
const signals = stopOnSignal(stopLoad, () => run);

async function hellobenchRun(name: string): Promise<{ dir: string; status: number; last: string }> {
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  console.error(`whole-run-load: ${name}: hellobench ${[...runArgs, '--out', dir].join(' ')}`);
  run = execa(hellobench, [...runArgs, '--out', dir], { stdio: ['ignore', 'ignore', 'pipe'], reject: false });
  run.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  const r = await run;
  run = undefined;
  if (signals.interrupted()) process.exit(130);
  const lines = String(r.stderr).split('\n').filter(Boolean);
  return { dir, status: r.exitCode ?? -1, last: lines.find((l) => l.startsWith('not measured')) ?? lines.at(-1) ?? '' };
}

const cellOf = (s: Sample) => `${s.workload} ${s.mode}`;
const cellMedians = (samples: Sample[], counted: (s: Sample) => boolean) => {
  const by = new Map<string, number[]>();
  for (const s of samples.filter((x) => x.status === 'ok' && counted(x))) by.set(cellOf(s), [...(by.get(cellOf(s)) ?? []), s.total!]);
  return new Map([...by].map(([k, v]) => [k, median(v)]));
};
const range = (v: number[]) => (v.length ? `${Math.min(...v).toFixed(1)}-${Math.max(...v).toFixed(1)}` : '-');

mkdirSync(out, { recursive: true });
if (chosen.includes('storm')) writeFileSync(hashFile, randomBytes(40 * 2 ** 20));
const calm = await hellobenchRun('calm');
const calmMedian = cellMedians(readSamples(calm.dir), (s) => !s.disturbed);
const effect: { competing: number; ratio: number; load: string }[] = [];
const report: string[] = [];
for (const load of ['calm', ...chosen] as const) {
  let r = calm;
  if (load !== 'calm') {
    startLoad(load);
    await new Promise((res) => setTimeout(res, 2000));
    try { r = await hellobenchRun(load); } finally { stopLoad(); }
    await new Promise((res) => setTimeout(res, 2000));
  }
  const samples = readSamples(r.dir);
  const ok = samples.filter((s) => s.status === 'ok');
  const aside = ok.filter((s) => s.disturbed);
  const kinds = new Map<string, number>();
  for (const s of aside) { const k = disturbanceKind(s.disturbed!); kinds.set(k, (kinds.get(k) ?? 0) + 1); }
  const fig = (k: string) => ok.flatMap((s) => (s.machine?.[k] === undefined ? [] : [s.machine[k]!]));
  report.push(`\n## ${load}: exit ${r.status}; ${r.last}`,
    `${samples.length} samples, ${ok.length} ok, ${aside.length} set aside (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'})`,
    `CPU of others per sample: competing ${range(fig('competing_cpu_pct'))}%, low priority ${range(fig('low_priority_cpu_pct'))}%; canary ratio ${range(fig('canary_ratio'))}`);
  const meds = cellMedians(samples, (s) => !s.disturbed);
  const rows = [...calmMedian].map(([cell, m]) => `${cell} ${meds.has(cell) ? `${meds.get(cell)!.toFixed(2)} s (${((meds.get(cell)! / m - 1) * 100).toFixed(1)}%)` : 'no counted sample'} against ${m.toFixed(2)} s`);
  report.push(`counted medians against calm: ${rows.join('; ')}`);
  if (load !== 'calm') {
    for (const s of ok) {
      const m = calmMedian.get(cellOf(s));
      if (m && s.machine?.competing_cpu_pct !== undefined) effect.push({ competing: s.machine.competing_cpu_pct, ratio: s.total! / m, load });
    }
    const cmp = await execa(hellobench, ['compare', calm.dir, r.dir, '--out', join(out, `compare-${load}`)], { reject: false });
    const verdict = cmp.stdout.split('\n').find((l) => l.startsWith('**'));
    report.push(`compare calm -> ${load}: ${verdict ?? cmp.stderr}`);
  }
}
rmSync(hashFile, { force: true });
console.log(report.join('\n'));
console.log('\n## every ok sample of the loaded runs: its total against its calm cell median, by the CPU that competed');
for (const [lo, hi] of [[0, 5], [5, 15], [15, 30], [30, 60], [60, 101]] as const) {
  const g = effect.filter((e) => e.competing >= lo && e.competing < hi);
  if (!g.length) continue;
  const ratios = g.map((e) => e.ratio);
  console.log(`competing ${lo}-${hi}%: ${g.length} samples (${[...new Set(g.map((e) => e.load))].join(', ')}), total ${((median(ratios) - 1) * 100).toFixed(1)}% (median; ${((Math.min(...ratios) - 1) * 100).toFixed(0)}% to ${((Math.max(...ratios) - 1) * 100).toFixed(0)}%) against calm`);
}
