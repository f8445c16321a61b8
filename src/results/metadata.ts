// run.json: what was run, on what, with which versions; written before the first sample
// and completed at the end, so an interrupted run still says what it was.
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ContainerdBuild } from '../lab/containerd.ts';
import { toolVersion, type ToolName } from '../lab/tools.ts';
import type { Mode } from '../systems/index.ts';
import type { LinkSpec } from '../lab/link.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { META_FILE, writeAtomic } from './store.ts';
import type { UnsureCell } from '../stats/summary.ts';

export const RESULTS_FORMAT = 1;

export interface RunMeta {
  format: number;
  run_id: string;
  started_at: string;
  finished_at?: string;
  /** complete | interrupted (a reason) */
  outcome: string;
  command: string[];
  options: Record<string, unknown>;
  host: { kernel: string; cpu: string; cores: number; memory_gib: number };
  versions: Record<string, string>;
  /** The systems of the run's modes: name and what it is (how it mounts here). */
  systems?: Record<string, string>;
  link: LinkSpec & { registry: string; measured?: { rtt_ms: number; connect_ms?: number; request_ms: { link: number; direct: number }; throughput_bps: number; probe_bytes: number }; warnings?: string[] };
  /** Samples the run set out to take (with --until-ci: its first --samples rounds). */
  planned_samples: number;
  /** Rounds taken. */
  rounds?: number;
  /** With --until-ci: the cells whose median interval was still wider than asked when the run stopped. */
  unsure?: UnsureCell[];
  prepared: unknown[];
  prepare_failures: unknown[];
}

/** Versions of hellobench and of every component the run drives: its containerd and its modes' systems. */
export async function collectVersions(containerd: ContainerdBuild, modes: readonly Mode[]): Promise<Record<string, string>> {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  const out: Record<string, string> = { hellobench: pkg.version, node: process.version };
  const tools: [string, ToolName][] = [['containerd', containerd.containerd], ['ctr', containerd.ctr], ['runc', 'runc'],
    ['docker-registry', 'docker-registry'], ['skopeo', 'skopeo'], ['umoci', 'umoci'],
    ...[...new Set(modes.flatMap((m) => m.system.tools))].map((t) => [t, t] as [string, ToolName])];
  for (const [key, t] of tools) {
    const v = await toolVersion(t);
    if (v !== 'n/a') out[key] = v;
  }
  return out;
}

export function hostInfo(): RunMeta['host'] {
  return { kernel: release(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gib: Math.round(totalmem() / 2 ** 30) };
}

export function writeMeta(dir: string, meta: RunMeta): void {
  writeAtomic(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
}
