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
