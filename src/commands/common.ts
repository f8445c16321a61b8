// What prepare and run share: choosing workloads and modes, and a lab that is always stopped.
import { loadCatalogFile, selectWorkloads } from '../catalog/load.ts';
import type { Workload } from '../catalog/schema.ts';
import { Lab, stopLabOnExit, type ExitHooks, type LabOptions } from '../lab/lab.ts';
import { containerdBuild } from '../lab/containerd.ts';
import { parseModes, type Mode } from '../systems/index.ts';
import { RUNTIMES, type ContainerRuntime } from '../runtimes/index.ts';

export const DEFAULT_WORKLOADS = 'workloads/debian.yaml';

export interface SelectionOptions { workloads: string; only?: string; category?: string; modes: string; containerd: string; allowOutsideMounts?: boolean }

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** `run` starts from the catalogue's default selection; `prepare` from all of it. */
export function select(opts: SelectionOptions, useDefaultSelection = false): { workloads: Workload[]; modes: Mode[] } {
  const catalog = loadCatalogFile(opts.workloads, { allowOutsideMounts: opts.allowOutsideMounts ?? false });
  const list = (v?: string) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const only = list(opts.only);
  const categories = list(opts.category);
  // The catalogue's default selection applies when the user chose nothing.
  const workloads = selectWorkloads(catalog.workloads, only.length || categories.length || !useDefaultSelection ? only : catalog.defaultSelection, opts.workloads, categories);
  const modes = parseModes(opts.modes);
  containerdBuild(opts.containerd);
  return { workloads, modes };
}

export interface WithLabOptions extends Omit<LabOptions, 'log' | 'node' | 'leftovers'> {
  /** The runtime samples will use: the lab gets its node. */
  runtime?: ContainerRuntime;
}

/** Opens a lab with its registry and containerd up, runs `fn`, and stops the lab whatever happens. */
export async function withLab<T>({ runtime, ...opts }: WithLabOptions, fn: (lab: Lab) => Promise<T>, hooks: ExitHooks = {}): Promise<T> {
  const node = runtime?.node?.();
  const leftovers = RUNTIMES.flatMap((r) => (r.leftovers ? [r.leftovers] : []));
  const lab = await Lab.open({ log, ...opts, ...(node ? { node } : {}), leftovers });
  stopLabOnExit(lab, hooks, log);
  try {
    await lab.startRegistry();
    await lab.startRuntime(null);
    return await fn(lab);
  } finally {
    await lab.stop();
  }
}
