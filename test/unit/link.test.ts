import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetNs, parseBandwidth, parseRtt, resolveLink } from '../../src/lab/link.ts';
import { pullFloor } from '../../src/stats/fidelity.ts';

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
