// Synthetic result sets on disk (run.json + samples.jsonl) for testing and timing commands
// that read results (never for results).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunMeta } from '../../src/results/metadata.ts';
import type { Sample } from '../../src/results/sample.ts';
import { syntheticMeta } from './synthetic.ts';

/** A run.json as `run` writes it, for the images and modes of `samples`. */
export function resultSetMeta(samples: readonly Sample[], o: { run_id: string; started_at: string; link?: string; seed?: number }): RunMeta {
  const seen = (key: 'workload' | 'mode') => [...new Set(samples.map((s) => s[key]))];
  const meta = syntheticMeta(seen('workload'), seen('mode'), { workloads: 'workloads/debian.yaml', link: o.link ?? 'wan', samples: 1, seed: o.seed ?? 1 });
  return { ...meta, run_id: o.run_id, started_at: o.started_at, commit: '0123456789abcdef', link: { ...meta.link, profile: o.link ?? 'wan' }, planned_samples: samples.length };
}

/** Writes `samples` (and `meta`, unless null) into `dir`; returns `dir`. */
export function writeResultSet(dir: string, samples: readonly Sample[], meta: RunMeta | null): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'samples.jsonl'), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
  if (meta) writeFileSync(join(dir, 'run.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return dir;
}
