// run's options: what the command line says, checked and resolved into what run.json records
// before any lab starts, and back (a resumed run repeats its own).
import { ORDERS, type Order } from '../bench/plan.ts';
import { containerdBuild } from '../lab/containerd.ts';
import { resolveLink, type LinkSpec } from '../lab/link.ts';
import type { RunOptions } from '../results/metadata.ts';
import type { Workload } from '../catalog/schema.ts';
import type { Mode } from '../systems/index.ts';
import { runtimeByName } from '../runtimes/index.ts';
import { UsageError } from './errors.ts';
import { select, type SelectionOptions } from './common.ts';
import { parseShard, shardOf } from './shard.ts';

export interface RunCliOptions extends SelectionOptions {
  link: string;
  bandwidth?: string;
  rtt?: string;
  samples: string;
  seed?: string;
  out?: string;
  percentile: string;
  sourceRegistry?: string;
  runtime: string;
  order: string;
  untilCi?: string;
  maxSamples?: string;
  keepDisturbed?: boolean;
  warm?: boolean;
  afterReady?: boolean;
  shard?: string;
  /** Failed samples a run may have and still exit 0: a count, or a share of the samples as `N%`. */
  maxFailed?: string;
  /** An interrupted run's results directory: go on with its plan. */
  resume?: string;
}

/** Rounds --until-ci takes at most when --max-samples is absent. */
export const DEFAULT_MAX_ROUNDS = 20;

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a whole number >= 1, got "${v}"`);
  return n;
}

/** --max-failed: `N` samples or `N%` of them; a run with more failed samples exits 1. */
export function failedAllowed(v: string | undefined, samples: number): number {
  if (v === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(v.trim());
  if (!m || (m[2] === '' && !Number.isInteger(Number(m[1]))) || (m[2] === '%' && Number(m[1]) > 100)) {
    throw new UsageError(`--max-failed: expected a count such as 2 or a share such as 10%, got "${v}"`);
  }
  return m[2] ? Math.floor((Number(m[1]) / 100) * samples) : Number(m[1]);
}

/** Checks the options and resolves them into what run.json records (no lab needed). */
/** A run's plan, resolved: what run.json records, and what it was resolved into. */
export interface ResolvedRun { options: RunOptions; workloads: Workload[]; modes: Mode[]; link: LinkSpec; order: Order; maxRounds: number }

export function resolveRun(opts: RunCliOptions): ResolvedRun {
  const { workloads: selected, modes } = select(opts, true);
  const minRounds = positiveInt(opts.samples, '--samples');
  if (!ORDERS.includes(opts.order as Order)) throw new UsageError(`--order: expected ${ORDERS.join(' or ')}, got "${opts.order}"`);
  const order = opts.order as Order;
  let untilCi: number | undefined;
  if (opts.untilCi !== undefined) {
    untilCi = Number(opts.untilCi);
    if (!(untilCi > 0 && untilCi < 100)) throw new UsageError(`--until-ci: expected a percentage such as 5, got "${opts.untilCi}"`);
  }
  failedAllowed(opts.maxFailed, 0); // refused before any lab starts
  if (opts.maxSamples !== undefined && untilCi === undefined) throw new UsageError('--max-samples: only with --until-ci (without it, --samples is the number of samples)');
  const maxRounds = untilCi === undefined ? minRounds : opts.maxSamples !== undefined ? positiveInt(opts.maxSamples, '--max-samples') : Math.max(minRounds, DEFAULT_MAX_ROUNDS);
  if (maxRounds < minRounds) throw new UsageError(`--max-samples ${maxRounds} is below --samples ${minRounds}: --samples is where --until-ci starts`);
  const p = Number(opts.percentile);
  if (!(p > 0 && p <= 100)) throw new UsageError(`--percentile: expected a number in (0, 100], got "${opts.percentile}"`);
  const link = resolveLink(opts.link, opts.bandwidth, opts.rtt);
  const runtime = runtimeByName(opts.runtime);
  const refused = runtime.refuses?.(containerdBuild(opts.containerd));
  if (refused) throw new UsageError(`--runtime ${runtime.name}: ${refused}`);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard, selected.length);
  // Shards run on different machines: only a given seed gives them one plan.
  if (shard && opts.seed === undefined) throw new UsageError('--shard: give --seed too, so that every shard follows the same plan');
  const seed = opts.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positiveInt(opts.seed, '--seed');
  const workloads = shard ? shardOf(selected, shard.index, shard.count) : selected;
  const options: RunOptions = {
    link: opts.link, ...(opts.bandwidth ? { bandwidth: opts.bandwidth } : {}), ...(opts.rtt ? { rtt: opts.rtt } : {}),
    workloads: opts.workloads, only: opts.only ?? null, ...(opts.category ? { category: opts.category } : {}),
    ...(opts.sourceRegistry ? { source_registry: opts.sourceRegistry } : {}), ...(opts.allowOutsideMounts ? { allow_outside_mounts: true } : {}),
    workload_names: workloads.map((w) => w.name), modes: modes.map((m) => m.name), containerd: opts.containerd, runtime: runtime.name, samples: minRounds, order,
    ...(untilCi !== undefined ? { until_ci: untilCi, max_samples: maxRounds } : {}), keep_disturbed: opts.keepDisturbed ?? false, warm: opts.warm ?? false, after_ready: opts.afterReady ?? false, seed, percentile: p,
    ...(shard ? { shard: { ...shard, of: selected.map((w) => w.name) } } : {}),
  };
  return { options, workloads, modes, link, order, maxRounds };
}

/** The command-line options that resolve to `o` again (resolveRun's inverse). */
export function cliOptionsOf(o: RunOptions, dir: string): RunCliOptions {
  return {
    workloads: o.workloads, ...(o.only ? { only: o.only } : {}), ...(o.category ? { category: o.category } : {}),
    modes: o.modes.join(','), containerd: o.containerd, runtime: o.runtime, link: o.link,
    ...(o.bandwidth ? { bandwidth: o.bandwidth } : {}), ...(o.rtt ? { rtt: o.rtt } : {}),
    samples: String(o.samples), seed: String(o.seed), percentile: String(o.percentile), order: o.order,
    ...(o.until_ci !== undefined ? { untilCi: String(o.until_ci), maxSamples: String(o.max_samples) } : {}),
    ...(o.keep_disturbed ? { keepDisturbed: true } : {}), ...(o.warm ? { warm: true } : {}), ...(o.after_ready ? { afterReady: true } : {}), ...(o.source_registry ? { sourceRegistry: o.source_registry } : {}),
    ...(o.allow_outside_mounts ? { allowOutsideMounts: true } : {}), ...(o.shard ? { shard: `${o.shard.index}/${o.shard.count}` } : {}),
    out: dir,
  };
}
