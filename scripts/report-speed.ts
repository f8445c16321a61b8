// Prints how long `hellobench report` takes for 10,000 samples (target: under 5 s).
// The samples are synthetic (24 images x 4 modes x 105 rounds ~ 10k), for timing only.
// Run: node --import tsx scripts/report-speed.ts [samples]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../src/report/index.ts';
import { syntheticSamples } from '../test/support/synthetic.ts';

const want = Number(process.argv[2] ?? 10_000);
const workloads = Array.from({ length: 24 }, (_, i) => `image-${i + 1}`);
const modes = ['legacy', 'estargz-noopt', 'estargz', 'zstdchunked'];
const samples = syntheticSamples({ workloads, modes, rounds: Math.ceil(want / (workloads.length * modes.length)) }).slice(0, want);
const dir = mkdtempSync(join(tmpdir(), 'hb-speed-'));
writeFileSync(join(dir, 'samples.jsonl'), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
const t0 = performance.now();
const { files } = await buildReport(dir, { percentile: 95 });
const s = (performance.now() - t0) / 1000;
const mem = process.memoryUsage().rss / 2 ** 20;
console.log(`report of ${samples.length} samples (${workloads.length} images x ${modes.length} modes): ${s.toFixed(2)} s, ${files.length} files, peak RSS ~${mem.toFixed(0)} MiB (target < 5 s)`);
rmSync(dir, { recursive: true, force: true });
