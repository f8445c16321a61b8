// merge: shard results (`run --shard i/n`) joined into one result set, as if one run had
// measured them; each image stays with the runner that measured all of its modes. The shards of
// a sweep (`sweep --shard i/n`) are joined link by link into one sweep.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildReport } from '../report/index.ts';
import { readSweep, SWEEP_FILE, writeSweep, writeSweepReport, type SweepMeta } from '../report/sweep.ts';
import { readMeta, writeMeta, type RunMeta, type RunOptions, type ShardPart } from '../results/metadata.ts';
import { loadSamples, META_FILE, SAMPLES_FILE, writeAtomic } from '../results/store.ts';
import type { Sample } from '../results/sample.ts';
import { log } from './common.ts';
import { UsageError } from './errors.ts';

interface Shard { dir: string; meta: RunMeta; samples: Sample[]; skipped: string[] }

function readShard(dir: string): Shard {
  const file = join(dir, META_FILE);
  if (!existsSync(file)) throw new UsageError(`${dir}: no ${META_FILE}; is it the results directory of a \`run --shard\`?`);
  const meta = readMeta(file);
  const loaded = loadSamples(dir);
  if (!meta.options.shard) throw new UsageError(`${dir}: not a shard (its run had no --shard); merge joins the shards of one plan`);
  return { dir, meta, ...loaded };
}

/** The options every shard of one plan shares: all but which shard it is and its images. */
function planOf(o: RunOptions): Record<string, unknown> {
  const { shard, workload_names: _names, ...rest } = o;
  return { ...rest, shards: shard?.count, images: shard?.of };
}

/** The first option two shards disagree on, as `name (a vs b)`. */
function difference(a: Record<string, unknown>, b: Record<string, unknown>): string | undefined {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const [x, y] = [JSON.stringify(a[k]), JSON.stringify(b[k])];
    if (x !== y) return `${k} (${x ?? 'absent'} vs ${y ?? 'absent'})`;
  }
  return undefined;
}

/** Joins the shards' metadata: the plan's options, every shard's runner, images and outcome. */
export function mergeMeta(shards: readonly Shard[]): RunMeta {
  const first = shards[0]!.meta;
  const { shard, ...options } = first.options;
  const parts: ShardPart[] = shards.map(({ dir, meta, samples }) => ({
    index: meta.options.shard!.index, count: meta.options.shard!.count, dir, run_id: meta.run_id,
    runner: meta.host.runner ?? 'unknown', workloads: meta.options.workload_names, samples: samples.length,
    started_at: meta.started_at, ...(meta.finished_at ? { finished_at: meta.finished_at } : {}), outcome: meta.outcome, host: meta.host,
    ...(meta.link.measured ? { link_measured: meta.link.measured } : {}),
  }));
  const unfinished = parts.filter((p) => p.outcome !== 'complete');
  const finished = parts.map((p) => p.finished_at).filter((f): f is string => f !== undefined).sort();
  const { machine: _, ...common } = first;
  return {
    ...common,
    run_id: [...shards.map((s) => s.meta.run_id)].sort()[0]!,
    started_at: [...shards.map((s) => s.meta.started_at)].sort()[0]!,
    ...(finished.length === parts.length ? { finished_at: finished.at(-1)! } : {}),
    outcome: unfinished.length ? `incomplete: ${unfinished.map((p) => `shard ${p.index}/${p.count} ${p.outcome}`).join('; ')}` : 'complete',
    command: ['merge', ...shards.map((s) => s.dir)],
    options: { ...options, workload_names: shard!.of.filter((w) => shards.some((s) => s.meta.options.workload_names.includes(w))) },
    planned_samples: shards.reduce((n, s) => n + s.meta.planned_samples, 0),
    rounds: Math.max(...shards.map((s) => s.meta.rounds ?? 0)),
    ...(shards.some((s) => s.meta.unsure) ? { unsure: shards.flatMap((s) => s.meta.unsure ?? []) } : {}),
    prepared: shards.flatMap((s) => s.meta.prepared),
    prepare_failures: shards.flatMap((s) => s.meta.prepare_failures),
    shards: parts,
    // Every shard's checks (runners of one kind); each shard's calm reference was its own machine's.
    ...(shards.some((s) => s.meta.machine) ? { machine: { checks: shards.flatMap((s) => s.meta.machine?.checks ?? []) } } : {}),
  };
}

/** Checks that the shards are one plan, each shard once and none missing; returns them in order. */
export function checkShards(shards: readonly Shard[]): Shard[] {
  const plan = planOf(shards[0]!.meta.options);
  for (const s of shards.slice(1)) {
    const d = difference(plan, planOf(s.meta.options));
    if (d) throw new UsageError(`${s.dir} and ${shards[0]!.dir} are shards of different plans: they differ in ${d}`);
  }
  return inShardOrder(shards, (s) => s.meta.options.shard!, '', "give every shard's results directory");
}

/** Each shard once and none missing, in the shards' order: what every merge checks, of a run's shards or a sweep's. */
function inShardOrder<T extends { dir: string }>(items: readonly T[], shardOf: (t: T) => { index: number; count: number }, of: string, hint: string): T[] {
  const count = shardOf(items[0]!).count;
  const byIndex = new Map<number, T>();
  for (const s of items) {
    const i = shardOf(s).index;
    const twin = byIndex.get(i);
    if (twin) throw new UsageError(`${s.dir} and ${twin.dir} are both shard ${i}/${count}${of}`);
    byIndex.set(i, s);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) throw new UsageError(`shard ${missing.map((i) => `${i}/${count}`).join(', ')}${of} missing: ${hint}`);
  return [...byIndex.keys()].sort((a, b) => a - b).map((i) => byIndex.get(i)!);
}

export async function mergeCommand(dirs: string[], opts: { out: string; percentile?: string }): Promise<number> {
  if (dirs.map((d) => resolve(d)).includes(resolve(opts.out))) throw new UsageError(`--out ${opts.out}: is one of the shards; merge into a new directory`);
  const sweeps = dirs.filter((d) => existsSync(join(d, SWEEP_FILE)));
  if (sweeps.length && sweeps.length < dirs.length) throw new UsageError(`${dirs.find((d) => !sweeps.includes(d))}: not a sweep's shard, while ${sweeps[0]} is; merge the shards of one run or of one sweep`);
  return sweeps.length ? mergeSweep(dirs, opts.out) : mergeRun(dirs, opts.out, opts.percentile);
}

async function mergeRun(dirs: string[], out: string, percentile?: string): Promise<number> {
  const shards = checkShards(dirs.map(readShard));
  const versions = shards.filter((s) => JSON.stringify(s.meta.versions) !== JSON.stringify(shards[0]!.meta.versions));
  for (const s of versions) log(`warning: ${s.dir} ran other versions than ${shards[0]!.dir}; run.json keeps the first shard's`);
  for (const s of shards) for (const w of s.skipped) log(`warning: ${w}`);
  const meta = mergeMeta(shards);
  mkdirSync(out, { recursive: true });
  writeAtomic(join(out, SAMPLES_FILE), shards.flatMap((s) => s.samples).map((s) => `${JSON.stringify(s)}\n`).join(''));
  writeMeta(out, meta);
  const { files } = await buildReport(out, { percentile: Number(percentile ?? meta.options.percentile) });
  log(`merged ${shards.length} shards (${shards.map((s) => `${s.meta.options.shard!.index}: ${s.meta.host.runner ?? '?'}, ${s.samples.length} samples`).join('; ')}) into ${out} (${files.length} files); outcome ${meta.outcome}`);
  return meta.outcome === 'complete' ? 0 : 1;
}

/**
 * The shards of one sweep, joined link by link: each link's shard runs merged as a run's are,
 * into OUT/<link>/, and one sweep.json whose seconds per link are the slowest shard's (the
 * shards ran side by side). A link some shard lacks (it stopped before it) is left out and
 * the merge exits 1; the sweep's report says which links are missing.
 */
async function mergeSweep(dirs: string[], out: string): Promise<number> {
  const shardOfSweep = ({ dir, meta }: { dir: string; meta: SweepMeta }) => {
    const m = /^(\d+)\/(\d+)$/.exec(String(meta.options.shard ?? ''));
    if (!m) throw new UsageError(`${dir}: not a shard (its sweep had no --shard); merge joins the shards of one sweep`);
    return { index: Number(m[1]), count: Number(m[2]) };
  };
  const planOfSweep = (m: SweepMeta) => {
    const { shard: _, ...options } = m.options;
    return { options, grid: m.grid.map((g) => g.name) };
  };
  const given = dirs.map((dir) => ({ dir, meta: readSweep(dir) }));
  for (const p of given.slice(1)) {
    const [a, b] = [planOfSweep(p.meta), planOfSweep(given[0]!.meta)];
    const d = difference(a.options, b.options) ?? difference({ grid: a.grid }, { grid: b.grid });
    if (d) throw new UsageError(`${p.dir} and ${given[0]!.dir} are shards of different sweeps: they differ in ${d}`);
  }
  const parts = inShardOrder(given, shardOfSweep, ' of the sweep', "give every shard's sweep directory");
  const first = parts[0]!;

  mkdirSync(out, { recursive: true });
  const { shard: _, ...options } = first.meta.options;
  const meta: SweepMeta = {
    format: 1,
    started_at: parts.map((p) => p.meta.started_at).sort()[0]!,
    ...(parts.every((p) => p.meta.finished_at) ? { finished_at: parts.map((p) => p.meta.finished_at!).sort().at(-1)! } : {}),
    command: ['merge', ...dirs],
    options,
    grid: first.meta.grid,
    blocks: {},
    shards: parts.map((p) => ({ ...shardOfSweep(p), dir: p.dir, seconds: Object.values(p.meta.blocks).reduce((s, b) => s + (b.seconds ?? 0), 0) })),
  };
  let worst = 0;
  for (const link of meta.grid) {
    const runs = parts.map((p) => join(p.dir, link.name));
    const lacking = runs.filter((r) => !existsSync(join(r, META_FILE)));
    if (lacking.length) {
      log(`link ${link.name}: left out, ${lacking.join(', ')} did not measure it`);
      worst = 1;
      continue;
    }
    const code = await mergeRun(runs, join(out, link.name));
    const blocks = parts.map((p) => p.meta.blocks[link.name] ?? {});
    meta.blocks[link.name] = { exit_code: Math.max(code, ...blocks.map((b) => b.exit_code ?? 0)), seconds: Math.max(...blocks.map((b) => b.seconds ?? 0)) };
    worst = Math.max(worst, code);
  }
  writeSweep(out, meta);
  const { files } = await writeSweepReport(out);
  log(`merged ${parts.length} shards of a sweep of ${meta.grid.length} links into ${out} (${files.join(', ')})`);
  return worst;
}
