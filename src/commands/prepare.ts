import { prepareImages, type PrepareResult } from '../images/prepare.ts';
import type { Lab } from '../lab/lab.ts';
import type { Mode } from '../systems/index.ts';
import type { Workload } from '../catalog/schema.ts';
import { log, select, withLab, type SelectionOptions } from './common.ts';
import { parseShard, shardOf } from './shard.ts';

export interface PrepareCliOptions extends SelectionOptions { sourceRegistry?: string; shard?: string }

export async function prepareIn(lab: Lab, workloads: Workload[], modes: Mode[], sourceRegistry?: string): Promise<PrepareResult> {
  const t0 = performance.now();
  const result = await prepareImages(lab, workloads, modes, { log, ...(sourceRegistry ? { sourceRegistry } : {}) });
  // What the runtime's node needs in the registry (the pods' pause image), pushed like the workloads' images.
  await lab.node.prepare?.(lab.directHost, log);
  const counts = new Map<string, number>();
  for (const i of result.images) counts.set(i.action, (counts.get(i.action) ?? 0) + 1);
  log(`prepared ${result.images.length} images (${[...counts].map(([a, n]) => `${n} ${a}`).join(', ') || 'none'}) in ${((performance.now() - t0) / 1000).toFixed(1)}s` +
    (result.failures.length ? `; ${result.failures.length} failed` : ''));
  return result;
}

export async function prepareCommand(opts: PrepareCliOptions): Promise<number> {
  const { workloads: selected, modes } = select(opts);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard, selected.length);
  const workloads = shard ? shardOf(selected, shard.index, shard.count) : selected;
  const result = await withLab({ containerd: opts.containerd }, (lab) => prepareIn(lab, workloads, modes, opts.sourceRegistry));
  return result.failures.length ? 1 : 0;
}
