import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetNs, parseBandwidth, parseRtt, resolveLink } from '../../src/lab/link.ts';
import { floorCells, pullFloor, sampleFloor } from '../../src/stats/fidelity.ts';
import { syntheticSamples } from '../support/synthetic.ts';

test('rates and durations parse; bad ones name the flag', () => {
  assert.equal(parseBandwidth('50mbit'), 50e6);
  assert.equal(parseBandwidth('1Gbit'), 1e9);
  assert.equal(parseBandwidth('800kbit'), 800e3);
  assert.throws(() => parseBandwidth('50MB/s'), /--bandwidth: "50MB\/s" is not a rate/);
  assert.equal(parseRtt('30ms'), 30);
  assert.equal(parseRtt('0.2s'), 200);
  assert.throws(() => parseRtt('fast'), /--rtt: "fast" is not a duration/);
});

test('profiles, overrides and unknown names', () => {
  assert.deepEqual(resolveLink('wan'), { profile: 'wan', bandwidth: 100e6, rttMs: 20 });
  assert.deepEqual(resolveLink('wan', '50mbit', '30ms'), { profile: 'wan+custom', bandwidth: 50e6, rttMs: 30 });
  assert.deepEqual(resolveLink('loopback'), { profile: 'loopback' });
  assert.throws(() => resolveLink('dsl'), /--link: unknown profile "dsl": choose from loopback, lan, wan, slow/);
  assert.throws(() => resolveLink('loopback', '10mbit'), /loopback profile has none/);
});

test('each lab gets its own /30 in 198.18.0.0/15 and short interface names', () => {
  const a = new NetNs(1234);
  const b = new NetNs(1235);
  assert.match(a.hostAddr, /^198\.1[89]\.\d+\.\d+$/);
  assert.notEqual(a.hostAddr, b.hostAddr);
  assert.equal(Number(a.nsAddr.split('.')[3]), Number(a.hostAddr.split('.')[3]) + 1);
  const top = new NetNs(4194303); // the largest PID Linux hands out
  assert.match(top.nsAddr, /^198\.19\.\d+\.\d+$/);
  assert.ok(top.hostIf.length <= 15 && top.nsIf.length <= 15, 'interface names fit IFNAMSIZ');
});

test('the pull floor is size over bandwidth plus two round trips', () => {
  assert.equal(pullFloor(100e6, { profile: 'wan', bandwidth: 100e6, rttMs: 20 }), 8 + 0.04);
  assert.equal(pullFloor(100e6, { profile: 'loopback' }), undefined);
});

test("every cell's floor: its round trips x RTT plus its bytes until up through the rate; measured over it", () => {
  const wan = { profile: 'wan', bandwidth: 100e6, rttMs: 20 };
  const samples = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 3 }).filter((s) => s.status === 'ok' && !s.disturbed)
    .map((s) => ({ ...s, total: 2, round_trips: s.mode === 'legacy' ? 3 : 10, bytes_fetched: { total: 9e6, pull: 5e6, run: s.mode === 'legacy' ? 5e6 : 0 } }));
  // legacy: 3 x 20 ms + 10 MB x 8 / 100 Mbit/s = 0.86 s; estargz: 10 x 20 ms + 0.4 s = 0.6 s (bytes after the phases do not count).
  assert.ok(Math.abs(sampleFloor(samples.find((s) => s.mode === 'legacy')!, wan)! - 0.86) < 1e-9);
  const cells = floorCells(samples, wan);
  assert.deepEqual(cells.map((c) => [c.mode, c.round_trips, Number(c.floor.toFixed(3)), Number(c.ratio.toFixed(3))]), [['legacy', 3, 0.86, 2.326], ['estargz', 10, 0.6, 3.333]]);
  // No RTT, or samples that did not count their round trips: no floor.
  assert.equal(sampleFloor(samples[0]!, { profile: 'loopback' }), undefined);
  assert.equal(floorCells(samples.map(({ round_trips: _, ...s }) => s), wan).length, 0);
});
