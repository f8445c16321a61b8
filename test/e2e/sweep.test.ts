// A sweep on the real lab: one small image, legacy against estargz-noopt, at 100 Mbit/s with two
// RTTs. Each link is a complete run; the sweep's cell equals a single run at that link (compare);
// the lazy mode's speed-up falls as the RTT grows, as its floor says; no sample beats its floor.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { sampleFloor } from '../../src/stats/fidelity.ts';
import type { Change } from '../../src/stats/compare.ts';
import { cli, leftovers, readSamples } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hellobench-e2e-sweep-'));
const COMMON = ['--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy,estargz-noopt', '--samples', '3', '--seed', '7'];

before(() => {
  assert.equal(process.getuid?.(), 0, 'the end-to-end tests drive a real containerd and need root');
  assert.deepEqual(leftovers(), [], 'a previous run left lab state behind');
});

test('sweep: a run per link, the speed-up falling with the RTT, every sample above its floor, a cell equal to a single run at its link', async () => {
  const dir = join(tmp, 'sweep');
  const r = await cli(['sweep', ...COMMON, '--bandwidth', '100mbit', '--rtt', '80ms,2ms', '--out', dir]);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.all, /sweep done: 2 links in [\d.]+ min of runs/);
  const links = ['100mbit-2ms', '100mbit-80ms'];
  for (const l of links) {
    const meta = JSON.parse(readFileSync(join(dir, l, 'run.json'), 'utf8')) as { outcome: string; link: { bandwidth: number; rttMs: number; measured: { rtt_ms: number } } };
    assert.equal(meta.outcome, 'complete');
    assert.ok(meta.link.measured.rtt_ms >= meta.link.rttMs, `${l}: probed RTT ${meta.link.measured.rtt_ms} ms`);
    // No sample beats what its link allows.
    for (const s of readSamples(join(dir, l)).filter((x) => x.status === 'ok')) {
      const floor = sampleFloor(s, meta.link as never)!;
      assert.ok(floor > 0 && s.total! >= floor, `${l} ${s.mode}: total ${s.total} s under its floor ${floor} s`);
    }
  }
  for (const f of ['sweep.csv', 'sweep-summary.json', 'sweep.md', 'sweep.html', 'speedup-rtt.png', 'speedup-bandwidth.svg']) assert.ok(existsSync(join(dir, f)), f);
  const rows = parse(readFileSync(join(dir, 'sweep.csv')), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 4);
  const lazy = (rtt: string) => Number(rows.find((x) => x.mode === 'estargz-noopt' && x.rtt_ms === rtt)!.speedup);
  // Each round trip costs the lazy mode more than the whole-image pull: its lead shrinks.
  assert.ok(lazy('80') < lazy('2'), `speed-up ${lazy('2')}x at 2 ms, ${lazy('80')}x at 80 ms`);
  for (const x of rows) assert.ok(Number(x.measured_over_floor) >= 1, `${x.link} ${x.mode}: measured / floor ${x.measured_over_floor}`);
  assert.match(readFileSync(join(dir, 'sweep.md'), 'utf8'), /## Where each mode stops beating legacy/);

  // The same plan as a single run at one of the sweep's links: no cell changed beyond the noise.
  const single = join(tmp, 'single');
  const s = await cli(['run', ...COMMON, '--link', 'wan', '--bandwidth', '100mbit', '--rtt', '80ms', '--out', single]);
  assert.equal(s.exitCode, 0, s.all);
  const out = join(tmp, 'compare');
  await cli(['compare', '--out', out, single, join(dir, '100mbit-80ms')]);
  const changes = (JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as { changes: Change[] }).changes;
  assert.equal(changes.length, 2);
  for (const c of changes) assert.ok(!['regression', 'improvement', 'missing'].includes(c.verdict), `${c.mode}: ${c.verdict} (${JSON.stringify(c.ci)})`);

  // The report rebuilds from the directory alone.
  const again = await cli(['report', dir]);
  assert.equal(again.exitCode, 0, again.all);
  assert.match(again.all, /sweep report of 2 links/);
  assert.deepEqual(leftovers(), []);
});
