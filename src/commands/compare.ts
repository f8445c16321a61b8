// compare: what changed between two runs, beyond the noise of both.
import { loadReportInput } from '../report/input.ts';
import { esc, htmlTable, page } from '../report/html.ts';
import { markdownTable } from '../report/markdown.ts';
import type { Table } from '../report/model.ts';
import { writeExports, type Exporter } from '../report/exporter.ts';
import { UsageError } from './errors.ts';
import { compareRuns, MACHINE_SHIFT, machineDiffered, machineShift, MIN_CHANGE, type Change, type FetchChange, type MachineShift } from '../stats/compare.ts';
import { fetchNoises } from '../systems/index.ts';

/** The fetch noise system by system: "over 5% (requests: and over 1) for overlayfs, ...". */
const noiseText = () => fetchNoises().map(({ systems, noise }) => `over ${noise.share * 100}% (requests: and over ${noise.requests}) for ${systems.join(', ')}`).join('; ');

const test = (minChange: number, keep: boolean) => `A change is marked only when the 95% bootstrap interval of median(new total) / median(base total), resampling both runs (2000 resamples), excludes 1, and the change of the median is at least ${(minChange * 100).toFixed(0)}%. ${keep ? 'Disturbed samples are kept.' : 'Samples taken while the machine was disturbed are left out.'} What was fetched is judged apart from time, on the median per sample of the ok samples, beyond every sample of the other run: more bytes or more registry requests, by ${noiseText()}, is a regression whatever the machine did.`;

/** What was fetched in one cell, base -> new, with its own verdict where it is not the same. */
export function fetchedText(f: FetchChange | undefined): string {
  if (!f) return '-';
  const req = f.requests ? `, ${f.requests.base} -> ${f.requests.next} requests` : '';
  return `${f.verdict === 'same' ? '' : `${f.verdict}: `}${(f.bytes.base / 1e6).toFixed(1)} -> ${(f.bytes.next / 1e6).toFixed(1)} MB${req}`;
}

function table(changes: Change[]): Table {
  const f = (v?: number) => (v === undefined ? '-' : v.toFixed(3));
  return {
    caption: 'Total start-up time, base -> new (median seconds)',
    header: ['image', 'mode', 'base', 'new', 'change', '95% CI of change', 'verdict', 'fetched (median per sample)'],
    rows: changes.map((c) => [c.workload, c.mode, `${f(c.base?.median)} (n=${c.base?.n ?? 0})`, `${f(c.next?.median)} (n=${c.next?.n ?? 0})`,
      c.ratio === undefined ? '-' : `${((c.ratio - 1) * 100).toFixed(1)}%`,
      c.ci ? `${((c.ci[0] - 1) * 100).toFixed(1)}% .. ${((c.ci[1] - 1) * 100).toFixed(1)}%` : '-',
      c.verdict, fetchedText(c.fetched)]),
  };
}

interface CompareView { baseDir: string; newDir: string; changes: Change[]; verdict: string; test: string; machine?: MachineShift; machineNote: string }

const COMPARE_EXPORTERS: readonly Exporter<CompareView>[] = [
  { file: 'compare.md', render: markdown },
  {
    file: 'compare.html',
    render: (v) => page('hellobench compare', `<h1>hellobench compare</h1><p>base: <code>${esc(v.baseDir)}</code><br>new: <code>${esc(v.newDir)}</code></p><p><strong>${esc(v.verdict)}</strong></p>${
      htmlTable(table(v.changes), 'compare').replace(/<td>(regression|improvement)<\/td>/g, '<td class="$1">$1</td>')}${v.machineNote ? `<p>${esc(v.machineNote)}</p>` : ''}<p>${esc(v.test)}</p>`),
  },
  { file: 'compare.json', render: (v) => `${JSON.stringify({ base: v.baseDir, new: v.newDir, verdict: v.verdict, test: v.test, machine: v.machine, changes: v.changes }, null, 2)}\n` },
];

function markdown(v: CompareView): string {
  return [`# hellobench compare`, '', `base: \`${v.baseDir}\`  `, `new: \`${v.newDir}\``, '', `**${v.verdict}**`, '', markdownTable(table(v.changes)), '', ...(v.machineNote ? [v.machineNote, ''] : []), v.test, ''].join('\n');
}

/** What the canary says of the machine's own speed in the two runs; a warning past MACHINE_SHIFT. */
function machineNote(m?: MachineShift): string {
  if (!m) return '';
  const pct = (m.ratio - 1) * 100;
  const figures = `The machine's CPU canary (a fixed load timed before each sample) took a median of ${m.base.toFixed(2)} ms in base and ${m.next.toFixed(2)} ms in new (${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%).`;
  if (Math.abs(m.ratio - 1) < MACHINE_SHIFT) return figures;
  return `${figures} The machine itself was ${m.ratio > 1 ? 'slower' : 'faster'} in the new run: totals move about half as much as the canary, and some cells more, so a change of a few percent in the same direction may be the machine's, not the system's.`;
}

export async function compareCommand(baseDir: string, newDir: string, opts: { out?: string; failOnRegression?: boolean; minChange?: string; keepDisturbed?: boolean; acrossRuntimes?: boolean }): Promise<number> {
  const minChange = opts.minChange === undefined ? MIN_CHANGE : Number(opts.minChange) / 100;
  if (!(minChange >= 0 && minChange < 10)) throw new UsageError(`--min-change: expected a percentage such as 5, got "${opts.minChange}"`);
  const keepDisturbed = opts.keepDisturbed ?? false;
  const base = loadReportInput(baseDir, { percentile: 95, keepDisturbed });
  const next = loadReportInput(newDir, { percentile: 95, keepDisturbed });
  // A pod start (CRI) has a sandbox phase a ctr start lacks: a "regression" between them is the runtime's.
  const [rb, rn] = [base.meta?.options.runtime, next.meta?.options.runtime];
  if (rb !== rn && !opts.acrossRuntimes) throw new UsageError(`compare: ${baseDir} ran --runtime ${rb} and ${newDir} --runtime ${rn}: their times measure different start-ups; pass --across-runtimes to compare them anyway`);
  const differed = machineDiffered(base.samples, next.samples, { base: base.meta?.machine, next: next.meta?.machine }, keepDisturbed);
  const changes = compareRuns(base.samples, next.samples, { minChange, workloads: base.summary.workloads, keepDisturbed, ...(differed ? { machineDiffered: differed } : {}) });
  const count = (v: Change['verdict']) => changes.filter((c) => c.verdict === v).length;
  const fetchedCount = (v: FetchChange['verdict']) => changes.filter((c) => c.fetched?.verdict === v).length;
  const fetched = `What was fetched: ${fetchedCount('regression')} regression(s), ${fetchedCount('improvement')} improvement(s), ${fetchedCount('same')} the same`;
  const verdict = differed
    ? `The machines differed (${differed}): times are not compared. ${fetched}`
    : `${count('regression')} regression(s), ${count('improvement')} improvement(s), ${count('no change')} without a change beyond the noise. ${fetched}`;
  const across = rb !== rn ? ` Runtimes differ (base ${rb}, new ${rn}; --across-runtimes): the totals include different phases.` : '';
  const machine = machineShift(base.samples, next.samples, keepDisturbed);
  const view: CompareView = { baseDir, newDir, changes, verdict, test: test(minChange, keepDisturbed) + across, machine, machineNote: differed ? '' : machineNote(machine) };
  const out = opts.out ?? newDir;
  const files = await writeExports(out, COMPARE_EXPORTERS, view);
  process.stdout.write(`${markdown(view)}\n`);
  process.stderr.write(`compare written to ${out} (${files.join(', ')})\n`);
  return opts.failOnRegression && (count('regression') || fetchedCount('regression')) ? 1 : 0;
}
