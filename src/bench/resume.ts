// --resume: an interrupted run goes on where it stopped, with its own plan (options, seed,
// order, link, images). The samples it kept stay; only the missing ones are taken.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Workload } from '../catalog/schema.ts';
import { UserError } from '../errors.ts';
import { readMeta, type RunMeta, type RunOptions } from '../results/metadata.ts';
import type { Sample } from '../results/sample.ts';
import { loadSamples, META_FILE, SAMPLES_FILE } from '../results/store.ts';

export interface Prior { dir: string; meta: RunMeta; samples: Sample[] }

/** What the selected workloads are (commands, images, mounts...): a resume refuses a changed catalogue. */
export function workloadsHash(workloads: readonly Workload[]): string {
  const defs = workloads.map(({ origin: _origin, ...w }) => w);
  return createHash('sha256').update(JSON.stringify(defs)).digest('hex').slice(0, 16);
}

/** The interrupted run in `dir`, or a one-line refusal saying why it cannot go on. */
export function loadPrior(dir: string): Prior {
  const file = join(dir, META_FILE);
  if (!existsSync(file)) throw new UserError(`--resume ${dir}: no ${META_FILE}; give the results directory of an interrupted run`);
  const meta = readMeta(file);
  if (meta.outcome === 'complete') throw new UserError(`--resume ${dir}: the run is complete; nothing to resume`);
  if (meta.shards) throw new UserError(`--resume ${dir}: a merged set of shards; resume each shard's own directory`);
  const samples = existsSync(join(dir, SAMPLES_FILE)) ? loadSamples(dir).samples : [];
  return { dir, meta, samples };
}

/** The first way the plan or its inputs differ from the interrupted run's, or undefined. */
export function planChange(prior: RunMeta, now: { options: RunOptions; workloadsHash: string; versions: Record<string, string> }): string | undefined {
  if (prior.workloads_hash !== now.workloadsHash) return `the workloads of ${prior.options.workloads} changed (their definitions hash ${now.workloadsHash}, not ${prior.workloads_hash ?? 'unrecorded'})`;
  for (const k of new Set([...Object.keys(prior.versions), ...Object.keys(now.versions)])) {
    if (prior.versions[k] !== now.versions[k]) return `${k} is now ${now.versions[k] ?? 'absent'}, not ${prior.versions[k] ?? 'absent'}`;
  }
  return undefined;
}

/** The first prepared image that is not the one the interrupted run measured, as a sentence. */
export function imageChange(prior: RunMeta, prepared: readonly { workload: string; mode: string; name: string }[]): string | undefined {
  const before = new Map((prior.prepared as { workload: string; mode: string; name: string }[]).map((i) => [`${i.workload}/${i.mode}`, i.name]));
  for (const i of prepared) {
    const was = before.get(`${i.workload}/${i.mode}`);
    if (was !== i.name) return `${i.workload}/${i.mode} is now ${i.name}, not ${was ?? 'unprepared'}`;
  }
  return undefined;
}

/**
 * Whether a job of the plan is done: it has a sample that counts (ok and calm, or kept, or not
 * ok: a failure is a result), or it was tried as often as a run tries (1 + retakes).
 */
export function jobDone(tries: readonly Sample[], keepDisturbed: boolean, maxTries: number): boolean {
  return tries.length >= maxTries || tries.some((s) => s.status !== 'ok' || !s.disturbed || keepDisturbed);
}
