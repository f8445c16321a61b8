// Prints how long `hellobench report` takes for 10,000 and 100,000 samples (target: under 5 s
// each), and its peak RSS. Each size is reported by a fresh process, so neither inherits the
// other's memory or warm code: "report" is building every report file, "process" adds
// starting node and loading the report code, as the command does.
// The samples are synthetic (24 images x 4 modes x rounds), for timing only.
// Run: node --import tsx experiments/report-speed.ts [samples...]   (default: 10000 100000)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticSamples } from '../test/support/synthetic.ts';

const workloads = Array.from({ length: 24 }, (_, i) => `image-${i + 1}`);
const modes = ['legacy', 'estargz-noopt', 'estargz', 'zstdchunked'];

interface Figures { seconds: number; files: number; peak_mib: number }

/** In the child: the report of one results directory, as JSON on stdout. */
async function reportOnce(dir: string): Promise<void> {
  const { buildReport } = await import('../src/report/index.ts');
  const t0 = performance.now();
  const { files } = await buildReport(dir, { percentile: 95 });
  const figures: Figures = { seconds: (performance.now() - t0) / 1000, files: files.length, peak_mib: process.resourceUsage().maxRSS / 1024 };
  console.log(JSON.stringify(figures));
}

function measure(want: number): void {
  const samples = syntheticSamples({ workloads, modes, rounds: Math.ceil(want / (workloads.length * modes.length)) }).slice(0, want);
  const dir = mkdtempSync(join(tmpdir(), 'hb-speed-'));
  try {
    writeFileSync(join(dir, 'samples.jsonl'), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
    const t0 = performance.now();
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--report', dir], { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (child.status !== 0) throw new Error(`report of ${want} samples failed: ${child.stderr}`);
    const f = JSON.parse(child.stdout) as Figures;
    console.log(`report of ${samples.length} samples (${workloads.length} images x ${modes.length} modes): ${f.seconds.toFixed(2)} s (process ${wall.toFixed(2)} s), ${f.files} files, peak RSS ${f.peak_mib.toFixed(0)} MiB (target < 5 s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--report') await reportOnce(args[1]!);
else for (const want of args.length ? args.map(Number) : [10_000, 100_000]) measure(want);
