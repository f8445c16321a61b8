// run.json: what was run, on what, with which versions; written before the first sample
// and completed at the end, so an interrupted run still says what it was.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { META_FILE, writeAtomic } from './store.ts';
import { MachineCheckSchema } from './machine.ts';

export const RESULTS_FORMAT = 1;

const cellRef = z.object({ workload: z.string(), mode: z.string() });

/** What `run` was told, resolved: enough to repeat the run (see repeatArgs). */
export const RunOptionsSchema = z.object({
  workloads: z.string(),
  only: z.string().nullable().optional(),
  category: z.string().optional(),
  source_registry: z.string().optional(),
  /** Catalogue mounts outside its folder were allowed (--allow-outside-mounts). */
  allow_outside_mounts: z.boolean().optional(),
  /** The images this run measured (a shard's share of the selection). */
  workload_names: z.array(z.string()),
  modes: z.array(z.string()),
  // Defaults here are what runs from before an option existed did: the one place they are said.
  /** Which containerd ran (runs from before --containerd ran Debian's 1.6). */
  containerd: z.string().default('1.6'),
  /** How containers were started (src/runtimes/; runs from before --runtime used ctr). */
  runtime: z.string().default('ctr'),
  link: z.string(),
  bandwidth: z.string().optional(),
  rtt: z.string().optional(),
  samples: z.number().int().positive(),
  order: z.string().default('shuffled'),
  until_ci: z.number().optional(),
  max_samples: z.number().int().optional(),
  keep_disturbed: z.boolean().default(false),
  /** --warm: a second start of each image after its cold one. */
  warm: z.boolean().default(false),
  /** --after-ready: the load after ready of workloads that define one. */
  after_ready: z.boolean().default(false),
  seed: z.number().int(),
  percentile: z.number(),
  /** `--shard index/count` and the whole selection the shards split. */
  shard: z.object({ index: z.number().int().positive(), count: z.number().int().positive(), of: z.array(z.string()) }).optional(),
});
export type RunOptions = z.infer<typeof RunOptionsSchema>;

const measured = z.object({
  rtt_ms: z.number(), connect_ms: z.number().optional(), request_ms: z.object({ link: z.number(), direct: z.number() }),
  throughput_bps: z.number(), probe_bytes: z.number(),
});

/**
 * The machine that measured. `cores` counts logical CPUs (vCPUs: os.cpus()). Fields added later
 * are optional, so older run.json files still read: `cgroup`, how containers were confined
 * (hierarchy and runc's driver); `disk_gib`, the filesystem holding the lab's state at run start.
 */
export const HostSchema = z.object({
  kernel: z.string(), cpu: z.string(), cores: z.number(), memory_gib: z.number(), runner: z.string().optional(),
  cgroup: z.object({ mode: z.enum(['v1', 'hybrid', 'v2']), driver: z.enum(['cgroupfs', 'systemd']) }).optional(),
  disk_gib: z.object({ total: z.number(), free: z.number() }).optional(),
});
export type HostInfo = z.infer<typeof HostSchema>;

/** A shard's part of a merged result set: who measured which images. */
export const ShardPartSchema = z.object({
  index: z.number().int().positive(),
  count: z.number().int().positive(),
  dir: z.string(),
  run_id: z.string(),
  runner: z.string(),
  workloads: z.array(z.string()),
  samples: z.number().int(),
  started_at: z.string(),
  finished_at: z.string().optional(),
  outcome: z.string(),
  host: HostSchema,
  link_measured: measured.optional(),
});
export type ShardPart = z.infer<typeof ShardPartSchema>;

export const RunMetaSchema = z.object({
  format: z.number().int(),
  run_id: z.string(),
  started_at: z.string(),
  finished_at: z.string().optional(),
  /** running | complete | interrupted: <why> */
  outcome: z.string(),
  command: z.array(z.string()),
  options: RunOptionsSchema,
  /** `runner`: the machine's name (GitHub's runner name when set); absent in older runs. */
  host: HostSchema,
  versions: z.record(z.string()),
  /** The hellobench commit that ran (GITHUB_SHA in Actions, else the checkout's HEAD); absent outside git. */
  commit: z.string().optional(),
  /** The systems of the run's modes: name and what it is (how it mounts here). */
  systems: z.record(z.string()).optional(),
  link: z.object({
    profile: z.string(), bandwidth: z.number().optional(), rttMs: z.number().optional(), registry: z.string(),
    measured: measured.optional(), warnings: z.array(z.string()).optional(),
  }),
  /** Samples the run set out to take (with --until-ci: its first --samples rounds). */
  planned_samples: z.number().int(),
  /** Rounds taken. */
  rounds: z.number().int().optional(),
  /** With --until-ci: the cells whose median interval was still wider than asked when the run stopped. */
  unsure: z.array(cellRef.extend({ n: z.number(), half_width_pct: z.number().optional() })).optional(),
  prepared: z.array(z.unknown()),
  prepare_failures: z.array(z.unknown()),
  /** What the selected workloads were (src/bench/resume.ts): a resume refuses a changed catalogue. */
  workloads_hash: z.string().optional(),
  /** When the run was resumed (--resume), each time. */
  resumed_at: z.array(z.string()).optional(),
  /** A merged result set: its shards. */
  shards: z.array(ShardPartSchema).optional(),
  /**
   * The machine on its own: the calm canary from earlier runs on it (absent on a machine's first
   * run) and the checks before each round. Absent in runs from before the checks.
   */
  machine: z.object({
    calm: z.object({ canary_ms: z.number(), checks: z.number().int() }).optional(),
    checks: z.array(MachineCheckSchema),
  }).optional(),
});
export type RunMeta = z.infer<typeof RunMetaSchema>;

export class MetaError extends UserError {}

/** Reads and validates run.json; a malformed one is named with the field that is wrong. */
export function readMeta(file: string): RunMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MetaError(`${file}: unreadable (${(err as Error).message.split('\n')[0]})`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (typeof format === 'number' && format > RESULTS_FORMAT) {
    throw new MetaError(`${file}: results format ${format} is newer than this hellobench reads (${RESULTS_FORMAT}); update hellobench`);
  }
  const parsed = RunMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MetaError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The flags of `run` each option comes from; repeatArgs and the tests use the same list. */
export const OPTION_FLAGS = [
  ['workloads', '--workloads'], ['only', '--only'], ['category', '--category'], ['source_registry', '--source-registry'],
  ['containerd', '--containerd'], ['runtime', '--runtime'], ['link', '--link'], ['bandwidth', '--bandwidth'], ['rtt', '--rtt'],
  ['samples', '--samples'], ['seed', '--seed'], ['percentile', '--percentile'], ['order', '--order'],
  ['until_ci', '--until-ci'], ['max_samples', '--max-samples'],
] as const satisfies readonly (readonly [keyof RunOptions, string])[];

/** Quotes an argument for a POSIX shell when it needs it. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The README's benchmark command with the flags that repeat this run (same plan, seed and link). */
export function repeatArgs(o: RunOptions): string[] {
  const args = ['scripts/bench.sh'];
  for (const [key, flag] of OPTION_FLAGS) {
    const v = o[key];
    if (v !== undefined && v !== null && v !== '') args.push(flag, String(v));
  }
  args.push('--modes', o.modes.join(','));
  if (o.keep_disturbed) args.push('--keep-disturbed');
  if (o.warm) args.push('--warm');
  if (o.after_ready) args.push('--after-ready');
  if (o.allow_outside_mounts) args.push('--allow-outside-mounts');
  if (o.shard) args.push('--shard', `${o.shard.index}/${o.shard.count}`);
  return args;
}

/** What makes two runs' machines unlike for timing: CPU model, size and cgroup set-up (not the free disk, which varies). */
export function hostKind(h: HostInfo): string {
  return `${h.cpu}, ${h.cores} vCPU, ${h.memory_gib} GiB RAM, cgroup ${h.cgroup ? `${h.cgroup.mode} (${h.cgroup.driver})` : 'unknown'}`;
}

/** The machine's size and cgroup set-up in one line, for the report's environment and the history's runs. */
export function describeHost(h: HostInfo): string {
  return [
    `${h.cores} vCPU`, `${h.memory_gib} GiB RAM`,
    h.disk_gib ? `disk ${h.disk_gib.free}/${h.disk_gib.total} GiB free` : 'disk unknown',
    h.cgroup ? `cgroup ${h.cgroup.mode} (${h.cgroup.driver})` : 'cgroup unknown',
  ].join(', ');
}

export function writeMeta(dir: string, meta: RunMeta): void {
  writeAtomic(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
}
