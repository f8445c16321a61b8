// run.json: what was run, on what, with which versions; written before the first sample
// and completed at the end, so an interrupted run still says what it was.
import { UserError } from '../errors.ts';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { hostname } from 'node:os';
import { execa } from 'execa';
import { z } from 'zod';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { cgroupDriver, hostCgroups } from '../lab/cgroups.ts';
import type { ContainerdBuild } from '../lab/containerd.ts';
import { toolVersion, type ToolName } from '../lab/tools.ts';
import type { Mode } from '../systems/index.ts';
import type { ContainerRuntime } from '../runtimes/runtime.ts';
import { LAB_BASE, PROJECT_ROOT } from '../paths.ts';
import { META_FILE, writeAtomic } from './store.ts';

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
  /** Absent in runs from before --containerd existed (they ran 1.6). */
  containerd: z.string().optional(),
  /** How containers were started: `ctr` or `cri`; absent in runs from before --runtime existed (ctr). */
  runtime: z.string().optional(),
  link: z.string(),
  bandwidth: z.string().optional(),
  rtt: z.string().optional(),
  samples: z.number().int().positive(),
  order: z.string().optional(),
  until_ci: z.number().optional(),
  max_samples: z.number().int().optional(),
  keep_disturbed: z.boolean().optional(),
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

/** A machine check (src/bench/machine.ts): the machine with the lab idle, before a round. */
export const MachineCheckSchema = z.object({
  at: z.string(),
  /** The round it came before (0-based). */
  round: z.number().int(),
  seconds: z.number(),
  /** Median of the canaries timed during the check, ms. */
  canary_ms: z.number(),
  steal_pct: z.number().optional(),
  foreign_cpu_pct: z.number().optional(),
  low_priority_cpu_pct: z.number().optional(),
  competing_cpu_pct: z.number().optional(),
  /** The whole machine's CPU pressure over the check. */
  cpu_pressure_pct: z.number().optional(),
  /** Why the machine counted as busy (the first figure over its threshold), against the calm reference. */
  busy: z.string().optional(),
});
export type MachineCheck = z.infer<typeof MachineCheckSchema>;

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

/** The runtime a run used: runs from before --runtime existed used ctr. */
export const runtimeOf = (meta: RunMeta | undefined | null) => meta?.options.runtime ?? 'ctr';

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
  if (o.allow_outside_mounts) args.push('--allow-outside-mounts');
  if (o.shard) args.push('--shard', `${o.shard.index}/${o.shard.count}`);
  return args;
}

/** Versions of hellobench and of every component the run drives: its containerd and its modes' systems. */
export async function collectVersions(containerd: ContainerdBuild, modes: readonly Mode[], runtime: ContainerRuntime): Promise<Record<string, string>> {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  const out: Record<string, string> = { hellobench: pkg.version, node: process.version };
  const tools: [string, ToolName][] = [['containerd', containerd.containerd], ['ctr', containerd.ctr], ['runc', 'runc'],
    ['docker-registry', 'docker-registry'], ['skopeo', 'skopeo'], ['umoci', 'umoci'],
    ...[...new Set([...runtime.tools, ...modes.flatMap((m) => m.system.tools)])].map((t) => [t, t] as [string, ToolName])];
  for (const [key, t] of tools) {
    const v = await toolVersion(t);
    if (v !== 'n/a') out[key] = v;
  }
  // The pods' network: Debian's CNI plugins.
  if (runtime.pods) {
    const cni = await execa('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins'], { reject: false });
    out.cni = cni.exitCode === 0 ? `containernetworking-plugins ${cni.stdout.trim()} [Debian]` : 'unavailable (install containernetworking-plugins: run scripts/setup.sh)';
  }
  return out;
}

/** Called once, at run start: reports describe the machine from run.json and never look at it. */
export function hostInfo(): HostInfo {
  // GitHub names its runners; elsewhere the host name says which machine measured.
  const runner = process.env.RUNNER_NAME || hostname();
  const cg = hostCgroups();
  return {
    kernel: release(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gib: Math.round(totalmem() / 2 ** 30), runner,
    cgroup: { mode: cg.mode, driver: cgroupDriver(cg) }, disk_gib: diskGib(LAB_BASE),
  };
}

const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;

/** Size and free space (to an unprivileged user: root's reserve left out) of the filesystem that holds `path`, or will. */
export function diskGib(path: string): { total: number; free: number } {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const s = statfsSync(p);
  return { total: gib(s.blocks * s.bsize), free: gib(s.bavail * s.bsize) };
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

/** The commit of the checkout that runs, for the history; undefined outside a git checkout. */
export async function currentCommit(): Promise<string | undefined> {
  if (process.env.GITHUB_SHA) return process.env.GITHUB_SHA;
  const r = await execa('git', ['-C', PROJECT_ROOT, 'rev-parse', 'HEAD'], { reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}
