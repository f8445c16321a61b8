// A sweep's report: every link of the grid as a dimension of one result set. From each link's
// own run (its samples and run.json, in a directory of its own) it takes the speed-ups with
// their intervals, the totals and each cell's distance from its floor; it draws speed-up
// against RTT (a panel per bandwidth) and against bandwidth (a panel per RTT), and tabulates
// where each mode stops beating the baseline and which system is fastest at each link.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import { describe, type LinkSpec } from '../lab/link.ts';
import { BASELINE, systemOf } from '../systems/index.ts';
import { bestByLink, crossovers, type Best, type Crossover, type SweepPoint } from '../stats/crossover.ts';
import { floorCells, type FloorCell } from '../stats/fidelity.ts';
import { cellOf } from '../stats/summary.ts';
import { config, renderSvg, svgToPng } from './charts.ts';
import { esc, htmlTable, page } from './html.ts';
import { loadReportInput, ReportError } from './input.ts';
import { markdownTable } from './markdown.ts';
import type { Table } from './model.ts';

export const SWEEP_FILE = 'sweep.json';

/** One link of the grid: its name (its directory), the flags that make it, and its shape. */
export interface GridLink { name: string; bandwidth_arg: string; rtt_arg: string; bandwidth: number; rtt_ms: number }

/** sweep.json: what the sweep was asked, its grid, and how each link's run went. */
export interface SweepMeta {
  format: 1;
  started_at: string;
  finished_at?: string;
  command: string[];
  /** The run options every link shares (what `sweep --resume` repeats). */
  options: Record<string, unknown>;
  grid: GridLink[];
  blocks: Record<string, { exit_code?: number; seconds?: number }>;
  /** A merge of `sweep --shard i/n` results: each shard's directory and seconds of runs (they ran side by side). */
  shards?: { index: number; count: number; dir: string; seconds: number }[];
}

export function readSweep(dir: string): SweepMeta {
  const file = join(dir, SWEEP_FILE);
  if (!existsSync(file)) throw new ReportError(`${dir}: no ${SWEEP_FILE}; not a sweep's results directory`);
  return JSON.parse(readFileSync(file, 'utf8')) as SweepMeta;
}

export function writeSweep(dir: string, meta: SweepMeta): void {
  writeFileSync(join(dir, SWEEP_FILE), `${JSON.stringify(meta, null, 2)}\n`);
}

/** A cell of one link: the figures the sweep's CSV and charts carry. */
interface SweepCell {
  link: GridLink;
  measured?: { rtt_ms: number; throughput_bps: number };
  workload: string;
  mode: string;
  n: number;
  total?: { median: number; ci: [number, number] };
  speedup?: { factor: number; ci: [number, number] };
  floor?: FloorCell;
}

export interface SweepView {
  meta: SweepMeta;
  cells: SweepCell[];
  points: SweepPoint[];
  crossovers: Crossover[];
  best: Best[];
  /** Links of the grid with no samples yet (an interrupted sweep). */
  missing: string[];
}

/** Reads every link's run of the sweep in `dir`. */
export function loadSweep(dir: string): SweepView {
  const meta = readSweep(dir);
  const cells: SweepCell[] = [];
  const missing: string[] = [];
  for (const link of meta.grid) {
    const runDir = join(dir, link.name);
    if (!existsSync(join(runDir, 'samples.jsonl'))) { missing.push(link.name); continue; }
    const input = loadReportInput(runDir, { percentile: 95 });
    const { summary } = input;
    const spec: LinkSpec = input.meta?.link ?? { profile: link.name, bandwidth: link.bandwidth, rttMs: link.rtt_ms };
    const floors = floorCells(input.samples, spec, summary.keep_disturbed);
    const measured = input.meta?.link.measured;
    for (const c of summary.cells) {
      const s = summary.speedups.find((x) => x.workload === c.workload && x.mode === c.mode);
      const total = cellOf(summary, c.workload, c.mode)?.stats.total;
      const floor = floors.find((f) => f.workload === c.workload && f.mode === c.mode);
      cells.push({
        link, workload: c.workload, mode: c.mode, n: total?.n ?? 0,
        ...(measured ? { measured: { rtt_ms: measured.rtt_ms, throughput_bps: measured.throughput_bps } } : {}),
        ...(total ? { total: { median: total.median, ci: total.ci } } : {}),
        ...(s ? { speedup: { factor: s.factor, ci: s.ci } } : {}),
        ...(floor ? { floor } : {}),
      });
    }
  }
  const points = cells.flatMap((c): SweepPoint[] => (c.speedup ? [{ workload: c.workload, mode: c.mode, bandwidth: c.link.bandwidth, rtt_ms: c.link.rtt_ms, ...c.speedup }] : []));
  return { meta, cells, points, crossovers: crossovers(points), best: bestByLink(points), missing };
}

const rate = (bps: number) => (bps >= 1e9 ? `${bps / 1e9} Gbit/s` : `${bps / 1e6} Mbit/s`);
const f2 = (v: number | undefined) => (v === undefined ? '' : v.toFixed(2));

/** One row per link x image x mode: the link asked and measured, the total, the speed-up, the floor. */
export function sweepCsv(v: SweepView): string {
  const num = (x: number | undefined, d = 6) => (x === undefined ? '' : x.toFixed(d));
  return stringify([
    ['link', 'bandwidth_bps', 'rtt_ms', 'measured_rtt_ms', 'measured_bps', 'image', 'mode', 'system', 'n', 'total_median', 'total_ci_low', 'total_ci_high',
      'speedup', 'speedup_ci_low', 'speedup_ci_high', 'round_trips', 'bytes_until_up', 'floor_s', 'measured_over_floor'],
    ...v.cells.map((c) => [c.link.name, c.link.bandwidth, c.link.rtt_ms, num(c.measured?.rtt_ms, 3), num(c.measured?.throughput_bps, 0), c.workload, c.mode, systemOf(c.mode), c.n,
      num(c.total?.median), num(c.total?.ci[0]), num(c.total?.ci[1]), num(c.speedup?.factor), num(c.speedup?.ci[0]), num(c.speedup?.ci[1]),
      c.floor ? c.floor.round_trips : '', c.floor ? Math.round(c.floor.bytes) : '', num(c.floor?.floor), num(c.floor?.ratio, 3)]),
  ]);
}

export function crossoverTable(v: SweepView): Table {
  const ms = (x: number | null | undefined) => (x === null ? 'beyond the grid' : x === undefined ? '' : `${x.toFixed(0)} ms`);
  return {
    caption: `Where each mode stops beating ${BASELINE}: the RTT at which its speed-up falls to 1, per bandwidth (linear between the grid's RTTs; in brackets where the speed-up's 95% interval bounds do)`,
    header: ['image', 'mode', 'bandwidth', 'crossover RTT', '95% interval'],
    rows: v.crossovers.map((c) => [c.workload, c.mode, rate(c.bandwidth),
      c.verdict === 'never' ? 'never faster in the grid' : c.verdict === 'beyond' ? 'not within the grid (faster at every RTT)' : ms(c.rtt_ms),
      c.interval ? `${c.interval[0] === null ? 'below the grid' : ms(c.interval[0])} .. ${ms(c.interval[1])}` : '-']),
  };
}

export function bestTable(v: SweepView): Table {
  return {
    caption: `The fastest system at each link (its best mode; ${BASELINE} counts as 1x), and its margin over the runner-up (clear: their 95% intervals do not overlap)`,
    header: ['image', 'bandwidth', 'RTT', 'fastest', 'speed-up', 'runner-up', 'margin', 'clear'],
    rows: v.best.map((b) => [b.workload, rate(b.bandwidth), `${b.rtt_ms} ms`, `${b.mode} (${b.system})`, `${b.factor.toFixed(2)}x`,
      b.next ? `${b.next.mode} ${b.next.factor.toFixed(2)}x` : '-', b.margin ? `${b.margin.toFixed(2)}x` : '-', b.clear === undefined ? '-' : b.clear ? 'yes' : 'no']),
  };
}

export function floorsSweepTable(v: SweepView): Table {
  const cells = v.cells.filter((c) => c.floor);
  return {
    caption: 'Every cell against its floor at each link: round trips x RTT + bytes until up / rate; measured / floor (median over samples, lowest)',
    header: ['link', 'image', 'mode', 'round trips', 'MB until up', 'floor (s)', 'total median (s)', 'measured / floor', 'lowest'],
    rows: cells.map((c) => [c.link.name, c.workload, c.mode, String(c.floor!.round_trips), (c.floor!.bytes / 1e6).toFixed(1), c.floor!.floor.toFixed(3), c.floor!.total.toFixed(3), f2(c.floor!.ratio), f2(c.floor!.min_ratio)]),
  };
}

/** Speed-up with its interval against `x` (RTT or bandwidth), a panel per value of the other and a row per image. */
export function sweepSpec(points: readonly SweepPoint[], x: 'rtt' | 'bandwidth'): TopLevelSpec {
  const values = points.map((p) => ({ ...p, lo: p.ci[0], hi: p.ci[1], rtt: p.rtt_ms, bw: p.bandwidth / 1e6, panelBw: rate(p.bandwidth), panelRtt: `RTT ${p.rtt_ms} ms` }));
  const field = x === 'rtt' ? 'rtt' : 'bw';
  const xs = values.map((v) => v[field]);
  const encX = { field, title: x === 'rtt' ? 'RTT (ms)' : 'bandwidth (Mbit/s)', type: 'quantitative' as const, scale: { type: 'log' as const, domain: [Math.min(...xs), Math.max(...xs)], nice: false } };
  // The speed-ups' own range (and 1x): their intervals stay visible on a log scale.
  const ys = [1, ...values.flatMap((v) => [v.lo, v.hi])].filter((v) => v > 0);
  const y = { type: 'quantitative' as const, scale: { type: 'log' as const, domain: [Math.min(...ys) * 0.9, Math.max(...ys) * 1.1], nice: false } };
  // Panels in the order of what they hold (20 Mbit/s before 1 Gbit/s), not alphabetically.
  const column = x === 'rtt' ? { field: 'panelBw', sort: { field: 'bw', op: 'min' } } : { field: 'panelRtt', sort: { field: 'rtt', op: 'min' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config,
    data: { values },
    facet: { column: { ...column, type: 'nominal', title: null }, row: { field: 'workload', type: 'nominal', title: null } },
    spec: {
      width: 220, height: 150,
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 1, ...y } } },
        { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: encX, y: { field: 'lo', ...y, title: `speed-up over ${BASELINE}` }, y2: { field: 'hi' }, color: { field: 'mode', type: 'nominal' } } },
        { mark: { type: 'line', point: true }, encoding: { x: encX, y: { field: 'factor', ...y }, color: { field: 'mode', type: 'nominal', title: 'mode' } } },
      ],
    },
  } as TopLevelSpec;
}

/** Writes sweep.csv, sweep.json's summary, the charts, sweep.md and sweep.html into the sweep's directory. */
export async function writeSweepReport(dir: string): Promise<{ view: SweepView; files: string[] }> {
  const v = loadSweep(dir);
  if (!v.cells.length) throw new ReportError(`${dir}: no link of the sweep has samples yet`);
  const tables = [crossoverTable(v), bestTable(v), floorsSweepTable(v)];
  const charts = { rtt: await renderSvg(sweepSpec(v.points, 'rtt')), bandwidth: await renderSvg(sweepSpec(v.points, 'bandwidth')) };
  const files: Record<string, string | Buffer> = {
    'sweep.csv': sweepCsv(v),
    'sweep-summary.json': `${JSON.stringify({ grid: v.meta.grid, missing: v.missing, blocks: v.meta.blocks, points: v.points, crossovers: v.crossovers, best: v.best, floors: v.cells.flatMap((c) => (c.floor ? [{ link: c.link.name, ...c.floor }] : [])) }, null, 2)}\n`,
    'speedup-rtt.svg': charts.rtt, 'speedup-rtt.png': svgToPng(charts.rtt),
    'speedup-bandwidth.svg': charts.bandwidth, 'speedup-bandwidth.png': svgToPng(charts.bandwidth),
    'sweep.md': sweepMarkdown(v, tables),
    'sweep.html': page('hellobench sweep', `<h1>hellobench sweep</h1><p>${esc(gridText(v))}</p><div class="chart">${charts.rtt}</div><div class="chart">${charts.bandwidth}</div>${tables.map((t) => `<h2>${esc(t.caption)}</h2>${htmlTable(t, 'sweep')}`).join('')}`),
  };
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return { view: v, files: Object.keys(files) };
}

function gridText(v: SweepView): string {
  const done = Object.entries(v.meta.blocks).filter(([, b]) => b.seconds !== undefined);
  const wall = done.reduce((s, [, b]) => s + b.seconds!, 0);
  const shards = v.meta.shards?.length ? ` on ${v.meta.shards.length} shards side by side (${v.meta.shards.map((s) => `${s.index}/${s.count}: ${(s.seconds / 60).toFixed(1)} min`).join(', ')})` : '';
  const time = v.meta.shards?.length ? `Wall time of the links run${shards}` : `Wall time of the links run: ${(wall / 60).toFixed(1)} min over ${done.length}`;
  return `Links: ${v.meta.grid.map((g) => describe({ profile: g.name, bandwidth: g.bandwidth, rttMs: g.rtt_ms })).join('; ')}.${v.missing.length ? ` Not measured yet: ${v.missing.join(', ')}.` : ''} ${time}.`;
}

function sweepMarkdown(v: SweepView, tables: Table[]): string {
  return [`# hellobench sweep`, '', gridText(v), '', '![speed-up against RTT](speedup-rtt.png)', '', '![speed-up against bandwidth](speedup-bandwidth.png)', '',
    ...tables.flatMap((t) => [`## ${t.caption}`, '', markdownTable({ ...t, caption: '' }), '']), ''].join('\n');
}
