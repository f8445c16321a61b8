// The Sample record: the contract between measuring and reporting. One JSON object per
// line of samples.jsonl; every report can be rebuilt from these alone.
import type { MachineFigures } from './machine.ts';

export const SAMPLE_SCHEMA = 1;

export type SampleStatus = 'ok' | 'failed' | 'timeout' | 'invalid';

export interface Sample {
  schema: number;
  run_id: string;
  workload: string;
  /** The image reference pulled, relative to the lab registry. */
  image: string;
  mode: string;
  round: number;
  /** Position of this sample in the run (0-based). */
  index: number;
  seed: number;
  status: SampleStatus;
  reason?: string;
  /** Seconds per phase, in the runtime's order (its `phases`); a phase not reached is absent. */
  phases: Record<string, number>;
  /** The sum of the runtime's phases, present when every one was measured. */
  total?: number;
  started_at: string;
  /** Compressed size of the image's layers: what a full pull fetches. */
  image_bytes: number;
  layers: number;
  /** Bytes the registry served during each phase (blob and manifest responses). */
  bytes_fetched: Record<string, number> & { total: number };
  /**
   * Blob and manifest responses the registry completed, per phase and in all (absent in samples
   * of older runs): with the bytes, what a fixed image and workload fetch whatever the clock did.
   */
  requests?: Record<string, number> & { total: number };
  /**
   * Bytes the kernel read from the lazy mounts for the container (its FUSE reads, readahead
   * included), where the system counts them (every lazy one): bytes_fetched over it is the read amplification.
   */
  read_bytes?: number;
  /**
   * Round trips the registry requests until the container was up cost at least, on a link with
   * an RTT (lab/fetchlog.ts roundTrips): with the bytes of the phases, the sample's floor.
   */
  round_trips?: number;
  /** Bytes that crossed the link towards the runtime during the sample, headers included (shaped links only). */
  link_bytes?: number;
  /**
   * What the lab's daemons cost in the sample (absent in older runs): `containerd`, and the
   * snapshotter's daemon under its system's name, each with the processes below it (CPU seconds,
   * peak resident MB summed over them, state on disk MB when the sample ended), and what it had
   * cost once up, before the first phase (`start_*`: starting it and holding it idle).
   */
  daemons?: Record<string, { cpu_s: number; peak_rss_mb: number; processes: number; disk_mb?: number; start_cpu_s?: number; start_rss_mb?: number }>;
  /** How long reading `daemons` took, ms (both reads, before and after the phases): the sampler's own cost, outside the clock. */
  daemons_read_ms?: number;
  /** Lazily mounted layers (or images) once the container is created, as the mode's system proves them (lazy modes). */
  lazy_mounts?: number;
  /** Last lines the workload printed, for failures and for checking. */
  output_tail?: string;
  /**
   * --warm: the same image started again once the cold start's container ended, on the node as
   * it left it (image, snapshots, caches kept): the runtime's `warmPhases`, their total, and
   * what the registry served meanwhile. Absent when not asked for or when the cold start failed.
   */
  warm?: WarmStart;
  /** The load after ready (workloads with `after_ready`): the server's answers second by second. */
  after_ready?: AfterReady;
  /** What the kernel said about the machine during the sample (absent in samples of older runs). */
  machine?: MachineFigures;
  /** Set when the machine, not the system measured, may have slowed the sample: the figure that crossed its threshold. */
  disturbed?: string;
}

/** One second of the load after ready: the answers that completed in it and their latency. */
export interface LoadSecond {
  /** Seconds since the load began (0 is the first). */
  second: number;
  answered: number;
  /** Requests that failed or answered other than 2xx in it. */
  errors: number;
  p50_ms?: number;
  p99_ms?: number;
}

export interface AfterReady {
  /** What the load was: requests per second and its length, at which port and path. */
  rate: number;
  seconds: number;
  target: string;
  /** Seconds the load's own setup took after ready, before its first request (a database's table). */
  setup_s?: number;
  sent: number;
  answered: number;
  errors: number;
  per_second: LoadSecond[];
  /** What the registry served while it ran: the snapshotter still fetching for the server. */
  bytes_fetched: number;
  requests_fetched: number;
  /** Why the load could not run, when it could not (the sample itself stays as it was). */
  problem?: string;
}

export interface WarmStart {
  status: SampleStatus;
  reason?: string;
  phases: Record<string, number>;
  total?: number;
  bytes_fetched: number;
  requests: number;
}

/** Whether a sample enters the statistics: ok, and undisturbed unless disturbed ones are kept. */
export function counted(s: Sample, keepDisturbed = false): boolean {
  return s.status === 'ok' && (keepDisturbed || s.disturbed === undefined);
}

/**
 * The phases samples hold, in their runtimes' order (a sample keeps its phases in the order
 * they ran): for reports of runs whose runtime this hellobench does not know.
 */
export function phasesOf(samples: readonly Pick<Sample, 'phases'>[]): string[] {
  const order: string[] = [];
  for (const s of samples) {
    let at = 0;
    for (const p of Object.keys(s.phases)) {
      const i = order.indexOf(p);
      if (i < 0) order.splice(at++, 0, p);
      else at = i + 1;
    }
  }
  return order;
}

/** Bytes the registry served during the sample's phases (not after them). */
export const bytesInPhases = (s: Sample): number => Object.entries(s.bytes_fetched).reduce((b, [k, v]) => (k === 'total' ? b : b + v), 0);

/** The key of a sample's cell (workload x mode) in the maps below. */
export const cellKey = (workload: string, mode: string) => `${workload}\0${mode}`;

/** Samples grouped by cell in one pass (not one pass per cell), those `include` keeps. */
export function samplesByCell(samples: readonly Sample[], include: (s: Sample) => boolean = () => true): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const s of samples) {
    if (!include(s)) continue;
    const k = cellKey(s.workload, s.mode);
    const list = out.get(k);
    if (list) list.push(s);
    else out.set(k, [s]);
  }
  return out;
}
