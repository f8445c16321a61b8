// The table of runtimes: `ctr` (upstream HelloBench's, the default) and `cri` (a kubelet's).
import { UserError } from '../errors.ts';
import { criRuntime } from './cri.ts';
import { ctrRuntime } from './ctr.ts';
import type { ContainerRuntime } from './runtime.ts';

export type { ContainerRuntime, RuntimeContext } from './runtime.ts';

export const RUNTIMES: readonly ContainerRuntime[] = [ctrRuntime, criRuntime];
export const DEFAULT_RUNTIME = 'ctr';

export function runtimeByName(name: string): ContainerRuntime {
  const r = RUNTIMES.find((x) => x.name === name);
  if (!r) throw new UserError(`--runtime: unknown "${name}": choose from ${RUNTIMES.map((x) => x.name).join(', ')}`);
  return r;
}

/** The runtime a run used, as its run.json names it; undefined when this hellobench does not know it. */
export function runtimeOf(meta: { options: { runtime: string } } | undefined | null): ContainerRuntime | undefined {
  return RUNTIMES.find((r) => r.name === (meta?.options.runtime ?? DEFAULT_RUNTIME));
}
