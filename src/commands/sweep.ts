// sweep: the run's plan under each link of a grid of bandwidths x RTTs. Each link is one run
// in a directory of its own under the sweep's (its lab shaped for it, its link probed, its own
// run.json and report), all with one seed, so every link takes its samples in the same order;
// `sweep --resume` goes on with the links not complete. The sweep's report joins them.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseBandwidth, parseRtt } from '../lab/link.ts';
import { readSweep, writeSweep, writeSweepReport, type GridLink, type SweepMeta } from '../report/sweep.ts';
import { readMeta } from '../results/metadata.ts';
import { META_FILE } from '../results/store.ts';
import { log } from './common.ts';
import { UsageError } from './errors.ts';
import { runCommand } from './run.ts';
import type { RunCliOptions } from './run-options.ts';

export const DEFAULT_BANDWIDTHS = '20mbit,100mbit,1gbit';
export const DEFAULT_RTTS = '2ms,30ms,150ms';

export type SweepCliOptions = Omit<RunCliOptions, 'link'> & { bandwidth: string; rtt: string };

/** The grid, bandwidth by bandwidth and RTT ascending within each: names are the flags ("100mbit-30ms"). */
export function sweepGrid(bandwidths: string, rtts: string): GridLink[] {
  const list = (s: string, flag: string) => {
    const items = s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
    if (!items.length) throw new UsageError(`${flag}: give at least one value`);
    if (new Set(items).size !== items.length) throw new UsageError(`${flag}: "${s}" names a value twice`);
    return items;
  };
  const bws = list(bandwidths, '--bandwidth').map((a) => ({ a, v: parseBandwidth(a) })).sort((x, y) => x.v - y.v);
  const rs = list(rtts, '--rtt').map((a) => ({ a, v: parseRtt(a) })).sort((x, y) => x.v - y.v);
  if (rs.some((r) => r.v <= 0)) throw new UsageError('--rtt: every RTT of a sweep must be above 0 (a floor needs one)');
  return bws.flatMap((b) => rs.map((r) => ({ name: `${b.a}-${r.a}`, bandwidth_arg: b.a, rtt_arg: r.a, bandwidth: b.v, rtt_ms: r.v })));
}

export async function sweepCommand(opts: SweepCliOptions): Promise<number> {
  const prior = opts.resume === undefined ? undefined : readSweep(opts.resume);
  const { resume: _, out: __, ...asked } = opts;
  // One seed for every link: the same order of samples at each, recorded for --resume.
  const options = (prior?.options as SweepCliOptions | undefined) ?? { ...asked, seed: asked.seed ?? String(Math.floor(Math.random() * 2 ** 31)) };
  const grid = prior?.grid ?? sweepGrid(options.bandwidth, options.rtt);
  const outDir = opts.resume ?? opts.out ?? join('results', `sweep-${new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z')}`);
  if (!prior && existsSync(join(outDir, 'sweep.json'))) throw new UsageError(`--out ${outDir}: holds another sweep; go on with it with --resume ${outDir}, or choose another --out`);
  mkdirSync(outDir, { recursive: true });
  const meta: SweepMeta = prior ?? { format: 1, started_at: new Date().toISOString(), command: process.argv.slice(2), options, grid, blocks: {} };
  writeSweep(outDir, meta);
  log(`sweep of ${grid.length} links (${grid.map((g) => g.name).join(', ')}) into ${outDir}`);

  let worst = 0;
  for (const link of grid) {
    const dir = join(outDir, link.name);
    const file = join(dir, META_FILE);
    const outcome = existsSync(file) ? readMeta(file).outcome : undefined;
    if (outcome === 'complete') {
      log(`link ${link.name}: complete, kept`);
      worst = Math.max(worst, meta.blocks[link.name]?.exit_code ?? 0);
      continue;
    }
    log(`link ${link.name}: ${outcome ? 'going on with its run' : 'measuring'}`);
    const start = Date.now();
    const before = meta.blocks[link.name]?.seconds ?? 0;
    const record = (code: number) => {
      meta.blocks[link.name] = { exit_code: code, seconds: Math.round((Date.now() - start) / 1000) + before };
      writeSweep(outDir, meta);
    };
    // Ctrl-C ends the process from the lab's handler, not through here: the link's seconds so far
    // are still recorded, so that a resumed sweep's wall time is whole.
    process.once('exit', record);
    const { bandwidth: _b, rtt: _r, ...shared } = options;
    const code = outcome
      ? await runCommand({ ...shared, link: 'wan', resume: dir } as RunCliOptions)
      : await runCommand({ ...shared, link: 'wan', bandwidth: link.bandwidth_arg, rtt: link.rtt_arg, out: dir });
    process.off('exit', record);
    record(code);
    if (code === 130) return 130;
    worst = Math.max(worst, code);
  }
  meta.finished_at = new Date().toISOString();
  writeSweep(outDir, meta);
  const { view, files } = await writeSweepReport(outDir);
  const wall = Object.values(meta.blocks).reduce((s, b) => s + (b.seconds ?? 0), 0);
  log(`sweep done: ${grid.length} links in ${(wall / 60).toFixed(1)} min of runs; ${view.crossovers.filter((c) => c.verdict === 'crosses').length} crossovers within the grid; ${files.join(', ')} in ${outDir}`);
  return worst;
}
