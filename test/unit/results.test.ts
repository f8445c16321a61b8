import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { fetchedBetween, goDurationMs, parseFetches, roundTrips, type Fetch } from '../../src/lab/fetchlog.ts';
import { resultCsv } from '../../src/report/csv.ts';
import { summarize } from '../../src/stats/summary.ts';
import type { Sample } from '../../src/results/sample.ts';
import { loadSamples, SampleStore } from '../../src/results/store.ts';
import { percentile } from '../../src/util/percentile.ts';

function sample(workload: string, mode: string, pull: number, status: Sample['status'] = 'ok'): Sample {
  return {
    schema: 1, run_id: 'r', workload, image: `hellobench/${workload}:t`, mode, round: 0, index: 0, seed: 1, status,
    phases: { pull, create: 0.1, run: 0.2 }, total: pull + 0.3, started_at: '2026-01-01T00:00:00Z',
    image_bytes: 100, layers: 2, bytes_fetched: { total: 100 },
  };
}

test('percentile interpolates linearly like numpy', () => {
  assert.equal(percentile([1, 2, 3, 4, 5], 50), 3);
  assert.ok(Math.abs(percentile([1, 2, 3, 4, 5], 95) - 4.8) < 1e-12);
  assert.equal(percentile([5, 1, 3], 100), 5);
  assert.equal(percentile([2], 95), 2);
  assert.throws(() => percentile([], 50));
});

test('result.csv keeps upstream layout, a column per mode of the run; failed samples and unmeasured modes stay empty', () => {
  const samples = [sample('py', 'legacy', 1), sample('py', 'legacy', 2), sample('py', 'estargz', 0.5), sample('py', 'estargz-noopt', 9, 'failed')];
  const rows = parse(resultCsv(summarize(samples, { percentile: 50, seed: 1, modes: ['legacy', 'estargz-noopt', 'estargz', 'zstdchunked'] })), { columns: true }) as Record<string, string>[];
  assert.deepEqual(Object.keys(rows[0]!), ['image', 'operation', 'legacy', 'estargz-noopt', 'estargz', 'zstdchunked']);
  assert.deepEqual(rows.map((r) => r.operation), ['pull', 'create', 'run']);
  assert.equal(Number(rows[0]!.legacy), 1.5);
  assert.equal(Number(rows[0]!.estargz), 0.5);
  assert.equal(rows[0]!['estargz-noopt'], '');
  assert.equal(rows[0]!.zstdchunked, '');
});

test('samples are appended one line each; a truncated last line is skipped, not fatal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-'));
  const store = new SampleStore(dir);
  store.append(sample('a', 'legacy', 1));
  store.append(sample('b', 'legacy', 2));
  writeFileSync(store.file, '{"schema":1,"workl', { flag: 'a' });
  const { samples, skipped } = loadSamples(dir);
  assert.deepEqual(samples.map((s) => s.workload), ['a', 'b']);
  assert.equal(skipped.length, 1);
  assert.match(skipped[0]!, /samples\.jsonl:3: incomplete line/);
});

test('registry log lines become fetches bucketed by completion time', () => {
  const line = (t: string, uri: string, bytes: number, method = 'GET') => JSON.stringify({
    'http.request.method': method, 'http.request.uri': uri, 'http.response.status': 200,
    'http.response.written': bytes, level: 'info', msg: 'response completed', time: t,
  });
  const text = [
    line('2026-11-27T10:00:00.100Z', '/v2/x/manifests/t', 500),
    line('2026-11-27T10:00:00.200Z', '/v2/x/blobs/sha256:aa', 1000),
    line('2026-11-27T10:00:01.500Z', '/v2/x/blobs/sha256:bb', 2000),
    line('2026-11-27T10:00:01.600Z', '/v2/', 10),
    line('2026-11-27T10:00:01.700Z', '/v2/x/blobs/uploads/1', 10, 'PUT'),
    'not json',
  ].join('\n');
  const f = parseFetches(text);
  assert.equal(f.length, 3);
  const t0 = Date.parse('2026-11-27T10:00:00Z');
  assert.deepEqual(fetchedBetween(f, t0, t0 + 1000), { bytes: 1500, requests: 2 });
  assert.deepEqual(fetchedBetween(f, t0 + 1000, Infinity), { bytes: 2000, requests: 1 });
});

test('the round trips a sample\'s fetches cost at least: client-side spans a link\'s RTT wide, grouped where they overlap', () => {
  assert.equal(goDurationMs('3.709498ms'), 3.709498);
  assert.equal(goDurationMs('1m2.5s'), 62_500);
  assert.equal(goDurationMs('850µs'), 0.85);
  const f = (startMs: number, ms: number): Fetch => ({ at: startMs + ms, ms, bytes: 1, uri: '/v2/x/blobs/sha256:a', status: 200 });
  // RTT 100 ms: manifest, then config (sent on the manifest's answer), then two layers side by side.
  const pull = [f(0, 2), f(102, 1), f(203, 400), f(205, 300)];
  assert.equal(roundTrips(pull, 100), 3);
  // Arrivals 5 ms apart with a 150 ms RTT were in flight together at the client: one round trip.
  assert.equal(roundTrips([f(0, 1), f(6, 1), f(12, 1)], 150), 1);
  // Without an RTT only overlap at the registry groups them.
  assert.equal(roundTrips([f(0, 1), f(6, 1), f(12, 1)], 0), 3);
  assert.equal(roundTrips([], 20), 0);
});
