// The Sample record: the contract between measuring and reporting. One JSON object per
// line of samples.jsonl; every report can be rebuilt from these alone.
import type { MachineFigures } from '../bench/machine.ts';

export const SAMPLE_SCHEMA = 1;

export type SampleStatus = 'ok' | 'failed' | 'timeout' | 'invalid';
/** `sandbox` (the pod's RunPodSandbox) only in samples of the CRI runtime. */
export type PhaseName = 'pull' | 'sandbox' | 'create' | 'run';
export const PHASES: readonly PhaseName[] = ['pull', 'sandbox', 'create', 'run'];

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
  /** Seconds per phase; a phase not reached is absent. */
  phases: Partial<Record<PhaseName, number>>;
  /** The sum of the runtime's phases, present when every one was measured. */
  total?: number;
  started_at: string;
  /** Compressed size of the image's layers: what a full pull fetches. */
  image_bytes: number;
  layers: number;
  /** Bytes the registry served during each phase (blob and manifest responses). */
  bytes_fetched: Partial<Record<PhaseName, number>> & { total: number };
  /** Bytes that crossed the link towards the runtime during the sample, headers included (shaped links only). */
  link_bytes?: number;
  /** Lazily mounted layers (or images) once the container is created, as the mode's system proves them (lazy modes). */
  lazy_mounts?: number;
  /** Last lines the workload printed, for failures and for checking. */
  output_tail?: string;
  /** What the kernel said about the machine during the sample (absent in samples of older runs). */
  machine?: MachineFigures;
  /** Set when the machine, not the system measured, may have slowed the sample: the figure that crossed its threshold. */
  disturbed?: string;
}

/** Whether a sample enters the statistics: ok, and undisturbed unless disturbed ones are kept. */
export function counted(s: Sample, keepDisturbed = false): boolean {
  return s.status === 'ok' && (keepDisturbed || s.disturbed === undefined);
}
