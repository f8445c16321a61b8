// Prints what the harness adds to a timed phase: /bin/true timed through the sampler's
// phase path (timeProcess: execa, output capture, timeout) against a bare spawn of the
// same binary timed the same way. Run: node --import tsx experiments/overhead.ts [runs]
import { spawn } from 'node:child_process';
import { timeProcess } from '../src/timing/timer.ts';
import { percentile } from '../src/util/percentile.ts';

const runs = Number(process.argv[2] ?? 300);
const cmd = '/bin/true';

function bare(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
  });
}

const harness = async () => (await timeProcess([cmd], { timeoutS: 10 })).seconds * 1000;

// Interleave the two so drift (CPU frequency, cache) hits both alike; warm up first.
for (let i = 0; i < 20; i++) { await bare(); await harness(); }
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < runs; i++) { a.push(await bare()); b.push(await harness()); }
const med = (v: number[]) => percentile(v, 50);
const diffs = a.map((x, i) => b[i]! - x);
console.log(`runs: ${runs} of ${cmd}`);
console.log(`bare spawn      median ${med(a).toFixed(2)} ms  p95 ${percentile(a, 95).toFixed(2)} ms`);
console.log(`harness phase   median ${med(b).toFixed(2)} ms  p95 ${percentile(b, 95).toFixed(2)} ms`);
console.log(`overhead/phase  median ${med(diffs).toFixed(2)} ms  p95 ${percentile(diffs, 95).toFixed(2)} ms  (target < 5 ms)`);
