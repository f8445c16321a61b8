// Synthetic samples for testing and timing the report code (never for results).
import { prng } from '../../src/util/random.ts';
import type { Sample, SampleStatus } from '../../src/results/sample.ts';
import type { RunMeta, RunOptions } from '../../src/results/metadata.ts';

export interface SyntheticOptions {
  workloads: string[];
  modes: string[];
  rounds: number;
  seed?: number;
  /** Multiplies the totals of one mode (e.g. to fake a slower link for that mode). */
  slow?: { mode: string; factor: number };
  /** Status for every sample of a (workload, mode). */
  status?: Record<string, SampleStatus>;
}

const BASE: Record<string, [number, number, number]> = {
  legacy: [10, 0.2, 1.0], 'estargz-noopt': [0.8, 0.3, 1.6], estargz: [0.6, 0.8, 0.9], zstdchunked: [0.5, 0.5, 0.5],
};

export function syntheticSamples(o: SyntheticOptions): Sample[] {
  const rand = prng(o.seed ?? 1);
  const out: Sample[] = [];
  for (let round = 0; round < o.rounds; round++) {
    for (const workload of o.workloads) {
      for (const mode of o.modes) {
        const [p, c, r] = BASE[mode] ?? [1, 1, 1];
        const k = (o.slow?.mode === mode ? o.slow.factor : 1);
        const noise = () => 1 + (rand() - 0.5) * 0.1;
        const status = o.status?.[`${workload}/${mode}`] ?? 'ok';
        const phases = { pull: p * k * noise(), create: c * k * noise(), run: r * k * noise() };
        out.push({
          schema: 1, run_id: 'synthetic', workload, image: `hellobench/${workload}:t`, mode, round, index: out.length, seed: 1,
          status, ...(status === 'ok' ? {} : { reason: `run: synthetic ${status}` }),
          phases, ...(status === 'ok' ? { total: phases.pull + phases.create + phases.run } : {}),
          started_at: new Date(Date.UTC(2026, 0, 1, 0, 0, out.length)).toISOString(),
          image_bytes: 100e6, layers: 3, bytes_fetched: { pull: mode === 'legacy' ? 100e6 : 2e6, create: 0, run: 5e6, total: 107e6 },
        });
      }
    }
  }
  return out;
}

/** A valid run.json for synthetic samples (never for results). */
export function syntheticMeta(workloads: string[], modes: string[], options: Partial<RunOptions> = {}, runner = 'runner-1'): RunMeta {
  return {
    format: 1, run_id: '2026-01-01T00-00-00Z', started_at: '2026-01-01T00:00:00.000Z', finished_at: '2026-01-01T01:00:00.000Z', outcome: 'complete',
    command: ['run'], options: { workloads: 'workloads/smoke.yaml', only: null, workload_names: workloads, modes, containerd: '2', runtime: 'ctr', link: 'wan', samples: 5, order: 'shuffled', keep_disturbed: false, warm: false, after_ready: false, seed: 1, percentile: 95, ...options },
    host: { kernel: '6.1.0', cpu: 'synthetic', cores: 2, memory_gib: 24, runner }, versions: { hellobench: '0.1.0' },
    link: { profile: 'wan', bandwidth: 100e6, rttMs: 20, registry: '10.0.0.1:5000' }, planned_samples: 0, prepared: [], prepare_failures: [],
  };
}
