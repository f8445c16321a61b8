// Prints how long `hellobench history` takes for 100,000 samples over 50 runs (target: under 5 s).
// The result sets are synthetic (10 images x 7 modes per run), for timing only.
// Run: node --import tsx experiments/history-speed.ts [samples] [runs]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyCommand } from '../src/commands/history.ts';
import { syntheticSamples } from '../test/support/synthetic.ts';
import { resultSetMeta, writeResultSet } from '../test/support/result-sets.ts';

const want = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 50);
const workloads = Array.from({ length: 10 }, (_, i) => `image-${i + 1}`);
const modes = ['legacy', 'estargz-noopt', 'estargz', 'zstdchunked', 'nydus', 'nydus-prefetch', 'soci'];
const perRun = Math.ceil(want / runs);
const root = mkdtempSync(join(tmpdir(), 'hb-history-speed-'));
const dirs: string[] = [];
let n = 0;
for (let i = 0; i < runs; i++) {
  const samples = syntheticSamples({ workloads, modes, rounds: Math.ceil(perRun / (workloads.length * modes.length)), seed: i + 1 }).slice(0, Math.min(perRun, want - n));
  n += samples.length;
  const started = new Date(Date.UTC(2026, 0, 1) + i * 86_400_000).toISOString();
  dirs.push(writeResultSet(join(root, `run-${i + 1}`), samples, resultSetMeta(samples, { run_id: `run-${i + 1}`, started_at: started, seed: i + 1 })));
}
const t0 = performance.now();
await historyCommand(dirs, { out: join(root, 'history') });
const s = (performance.now() - t0) / 1000;
const peak = process.resourceUsage().maxRSS / 1024;
console.log(`history of ${n} samples in ${runs} runs: ${s.toFixed(2)} s, peak RSS ${peak.toFixed(0)} MiB (target < 5 s)`);
rmSync(root, { recursive: true, force: true });
