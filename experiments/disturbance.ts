// Does hellobench see a machine loaded on purpose, and do its figures survive it? Two runs with
// one seed (python; legacy, estargz, nydus; 5 samples; wan link): a calm one, then one beside two
// busy loops and a direct-I/O disk writer for a minute, from its third sample on. Prints how many
// samples taken under the load were marked disturbed (and which figure crossed), how many outside
// it were, the two runs' speed-ups, and `compare` of the two with disturbed samples set aside
// (the default) and kept. About 8 minutes with the images prepared.
//   node --import tsx experiments/disturbance.ts [OUT_DIR] [extra `hellobench run` options]   (root)
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { stopOnSignal } from './interrupt.ts';
import { median } from 'simple-statistics';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? join(root, 'results', `disturbance-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`));
const extra = process.argv.slice(3);
const hellobench = join(root, 'bin', 'hellobench');
const runArgs = ['run', '--only', 'python', '--modes', 'legacy,estargz,nydus', '--samples', '5', '--seed', '20261129', ...extra];
const LOAD_S = 60;
const LOAD_AFTER = 3; // samples written before the load starts

interface Sample { mode: string; round: number; status: string; total?: number; started_at: string; disturbed?: string; machine?: Record<string, number> }
const readSamples = (dir: string): Sample[] => {
  const file = join(dir, 'samples.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample) : [];
};

// The load is ours: every process of it is kept here and killed by its PID, on the way out too.
const load: ResultPromise[] = [];
const hogFile = join(out, 'disk-hog.bin');
const stop = new AbortController();
function stopLoad(): void {
  stop.abort();
  for (const p of load) p.kill('SIGKILL');
  rmSync(hogFile, { force: true });
}
let run: ResultPromise | undefined;
const signals = stopOnSignal(stopLoad, () => run);

async function diskWriter(): Promise<void> {
  // 256 MiB rewritten with O_DIRECT, so the writes reach the disk rather than the page cache.
  while (!stop.signal.aborted) {
    const dd = execa('dd', ['if=/dev/zero', `of=${hogFile}`, 'bs=1M', 'count=256', 'oflag=direct', 'conv=notrunc', 'status=none'], { reject: false });
    load.push(dd);
    await dd;
  }
}

async function hellobenchRun(name: string, during?: (dir: string, ended: () => boolean) => Promise<void>): Promise<string> {
  const dir = join(out, name);
  console.error(`disturbance: ${name} run: hellobench ${[...runArgs, '--out', dir].join(' ')}`);
  let ended = false;
  run = execa(hellobench, [...runArgs, '--out', dir], { stdio: ['ignore', 'inherit', 'inherit'], reject: false });
  const done = run.finally(() => { ended = true; });
  await during?.(dir, () => ended);
  const r = await done;
  run = undefined;
  if (signals.interrupted()) process.exit(130);
  if (r.exitCode !== 0) throw new Error(`disturbance: the ${name} run ended with status ${r.exitCode}; see ${dir}`);
  return dir;
}

mkdirSync(out, { recursive: true });
let window: [number, number] = [0, 0];
const calm = await hellobenchRun('calm');
const loaded = await hellobenchRun('loaded', async (dir, ended) => {
  while (readSamples(dir).length < LOAD_AFTER && !ended()) await sleep(200);
  if (ended()) return;
  const start = Date.now();
  for (let i = 0; i < 2; i++) load.push(execa(process.execPath, ['-e', 'for (;;);'], { reject: false }));
  const writer = diskWriter();
  console.error(`disturbance: load on (two busy loops, a direct-I/O writer) for ${LOAD_S} s`);
  await sleep(LOAD_S * 1000, undefined, { signal: stop.signal }).catch(() => {});
  stopLoad();
  await writer;
  await Promise.allSettled(load);
  window = [start, Date.now()];
  console.error('disturbance: load off');
});

if (!window[1]) throw new Error(`disturbance: the loaded run ended before its sample ${LOAD_AFTER}, so no load was put beside it; see ${loaded}`);
const samples = readSamples(loaded);
const span = (s: Sample): [number, number] => { const t = Date.parse(s.started_at); return [t, t + (s.total ?? 0) * 1000]; };
const calmMedian = (mode: string) => median(samples.filter((s) => s.mode === mode && s.status === 'ok' && !s.disturbed).map((s) => s.total!));
const groups = {
  'wholly under the load': samples.filter((s) => { const [a, b] = span(s); return a >= window[0] && b <= window[1]; }),
  'partly under it': samples.filter((s) => { const [a, b] = span(s); return b > window[0] && a < window[1] && !(a >= window[0] && b <= window[1]); }),
  'outside it': samples.filter((s) => { const [a, b] = span(s); return b <= window[0] || a >= window[1]; }),
};
console.log(`\n# ${loaded}: ${samples.length} samples, load for ${((window[1] - window[0]) / 1000).toFixed(0)} s`);
for (const [name, group] of Object.entries(groups)) {
  const marked = group.filter((s) => s.disturbed);
  console.log(`${name}: ${group.length} samples, ${marked.length} marked disturbed`);
  for (const s of group) console.log(`  ${s.mode} round ${s.round + 1}: ${s.total?.toFixed(2) ?? '-'} s (${((s.total ?? NaN) / calmMedian(s.mode)).toFixed(2)}x the mode's calm median), ${s.disturbed ?? 'calm'}`);
}

const speedups = (dir: string) => (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { speedups: { workload: string; mode: string; factor: number; ci: [number, number] }[] }).speedups;
const fx = (v: { factor: number; ci: [number, number] }) => `${v.factor.toFixed(1)}x (${v.ci[0].toFixed(1)}-${v.ci[1].toFixed(1)})`;
console.log('\n# speed-ups against legacy, median with 95% interval (disturbed samples set aside)');
const [sc, sl] = [speedups(calm), speedups(loaded)];
for (const c of sc) {
  const l = sl.find((x) => x.workload === c.workload && x.mode === c.mode);
  console.log(`${c.workload} ${c.mode}: calm ${fx(c)}, loaded ${l ? fx(l) : '-'}`);
}

for (const keep of [false, true]) {
  const args = ['compare', calm, loaded, '--out', join(out, keep ? 'compare-kept' : 'compare'), ...(keep ? ['--keep-disturbed'] : [])];
  const r = await execa(hellobench, args, { reject: false });
  const verdict = r.stdout.split('\n').find((l) => l.startsWith('**'));
  console.log(`\ncompare calm -> loaded, disturbed samples ${keep ? 'kept' : 'set aside'}: ${verdict ?? r.stderr}`);
}
