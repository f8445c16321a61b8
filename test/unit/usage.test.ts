// What the lab's daemons cost: CPU and peak memory of a process tree from /proc, disk of a state
// directory without crossing file systems, and the report's table of medians.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { daemonUsage, diskMb } from '../../src/lab/usage.ts';
import { buildReport } from '../../src/report/index.ts';
import { daemonsTable } from '../../src/report/model.ts';
import { summarize } from '../../src/stats/summary.ts';
import { syntheticSamples } from '../support/synthetic.ts';

test('a daemon counts with the processes below it: their CPU seconds and peak resident memory', async () => {
  // A parent that starts a busy child, as a snapshotter starts its FUSE server.
  const parent = execa(process.execPath, ['-e', `
    const { spawn } = require('node:child_process');
    spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    setInterval(() => {}, 1000);`], { reject: false });
  try {
    await new Promise((r) => setTimeout(r, 900));
    const usage = daemonUsage({ fake: parent.pid, gone: 999_999_999, none: undefined });
    assert.deepEqual(Object.keys(usage), ['fake'], 'a daemon that is not running is left out');
    assert.equal(usage.fake!.processes, 2);
    assert.ok(usage.fake!.cpu_s >= 0.3, `the child's busy 400 ms count: ${usage.fake!.cpu_s} s`);
    assert.ok(usage.fake!.peak_rss_mb > 20, `two node processes: ${usage.fake!.peak_rss_mb} MB at their peaks`);
  } finally {
    parent.kill('SIGKILL');
    await parent;
  }
});

test('disk of a state directory: allocated blocks, MB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-usage-'));
  writeFileSync(join(dir, 'cache.bin'), Buffer.alloc(3 * 2 ** 20, 1));
  const mb = diskMb(dir)!;
  assert.ok(mb >= 3 && mb < 3.5, `${mb} MB`);
  assert.equal(diskMb(join(dir, 'absent')), undefined);
});

test("the report lists each cell's daemons by their medians, legacy with containerd alone", () => {
  const samples = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 3 }).map((s, i) => ({
    ...s, daemons: {
      containerd: { cpu_s: s.mode === 'legacy' ? 0.6 + i * 0.01 : 0.15, peak_rss_mb: 44, processes: 1, disk_mb: s.mode === 'legacy' ? 100 : 0.3, start_cpu_s: 0.08 },
      // Older samples have no start-up figures: the medians are of those that do.
      ...(s.mode === 'legacy' ? {} : { stargz: { cpu_s: 0.1, peak_rss_mb: 30, processes: 1, disk_mb: 3, ...(i % 2 ? { start_cpu_s: 0.02 } : {}) } }),
    },
    daemons_read_ms: 4 + i,
  }));
  const table = daemonsTable(summarize(samples, { percentile: 95, seed: 1 }), samples)!;
  assert.deepEqual(table.rows, [
    ['a', 'legacy', '0.62 (0.08)', '44.0', '-', '-', '-', '100.0', '1.000', '3'],
    ['a', 'estargz', '0.15 (0.08)', '44.0', 'stargz', '0.10 (0.02)', '30.0', '3.3', '0.403', '3'],
  ]);
  assert.match(table.caption, /reading them cost the sampler 6\.5 ms per sample \(median; at most 9\.0 ms\)/);
  const old = syntheticSamples({ workloads: ['a'], modes: ['legacy'], rounds: 1 });
  assert.equal(daemonsTable(summarize(old, { percentile: 95, seed: 1 }), old), undefined, 'older runs: no table');
});

test("the daemons' chart: a bar per mode with containerd and the system's daemon, drawn only for runs that recorded them", async () => {
  const withDaemons = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 2 }).map((s) => ({
    ...s, daemons: { containerd: { cpu_s: 0.6, peak_rss_mb: 44, processes: 1 }, ...(s.mode === 'legacy' ? {} : { stargz: { cpu_s: 0.1, peak_rss_mb: 30, processes: 1 } }) },
  }));
  const dir = (samples: object[]) => {
    const d = mkdtempSync(join(tmpdir(), 'hb-daemons-'));
    writeFileSync(join(d, 'samples.jsonl'), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
    return d;
  };
  const recorded = dir(withDaemons);
  const { files } = await buildReport(recorded, { percentile: 95 });
  assert.ok(files.includes('daemons.svg') && files.includes('daemons.png'));
  const svg = readFileSync(join(recorded, 'daemons.svg'), 'utf8');
  for (const text of ['containerd', 'stargz', 'legacy', 'estargz', 'CPU [sec]', 'peak resident [MB]']) assert.ok(svg.includes(text), text);
  assert.match(readFileSync(join(recorded, 'report.html'), 'utf8'), /id="chart-daemons"/);
  const older = dir(syntheticSamples({ workloads: ['a'], modes: ['legacy'], rounds: 1 }));
  assert.ok(!(await buildReport(older, { percentile: 95 })).files.includes('daemons.svg'));
  assert.ok(!existsSync(join(older, 'daemons.svg')));
});
