// The first seconds of service: the load against a real local server, bucketed per second; the
// curves and settle times from samples; the catalogue's rules for it.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { parseCatalog } from '../../src/catalog/load.ts';
import { afterReadyTable } from '../../src/report/model.ts';
import type { LoadSecond, Sample } from '../../src/results/sample.ts';
import { loadCurves, settleTimes } from '../../src/stats/after-ready.ts';
import { httpTarget, runLoad } from '../../src/timing/load.ts';
import { syntheticSamples } from '../support/synthetic.ts';

test('the load: a fixed rate for its length, each answer in the second it completed in, with its latency', async () => {
  // Slow for the first 0.8 s (a server still reading its files), then quick.
  const start = Date.now();
  const server = createServer((_req, res) => { setTimeout(() => res.end('ok'), Date.now() - start < 800 ? 40 : 1); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const o = await runLoad({ seconds: 2, rate: 50, requests: 100 }, httpTarget(`http://127.0.0.1:${port}/`, 4));
    assert.equal(o.sent, 100, 'min(requests, seconds x rate)');
    assert.equal(o.errors, 0);
    assert.equal(o.answered, 100);
    assert.equal(o.answered, o.per_second.reduce((n, s) => n + s.answered, 0));
    assert.ok(o.per_second.length >= 2 && o.per_second.length <= 3, `${o.per_second.length} seconds`);
    assert.ok(o.per_second[0]!.p99_ms! >= 40, `first second p99 ${o.per_second[0]!.p99_ms} ms`);
    assert.ok(o.per_second[1]!.p50_ms! < 20, `second second p50 ${o.per_second[1]!.p50_ms} ms`);
  } finally {
    server.close();
  }
  // Nobody listening: every request an error, and the load still ends.
  const refused = await runLoad({ seconds: 1, rate: 20, requests: 20 }, httpTarget('http://127.0.0.1:1/', 2));
  assert.equal(refused.answered, 0);
  assert.ok(refused.errors > 0);
});

/** A sample whose load saw these p99s, second by second. */
const withLoad = (s: Sample, p99s: number[]): Sample => ({
  ...s, after_ready: {
    rate: 50, seconds: p99s.length, target: '80/', sent: 50 * p99s.length, answered: 50 * p99s.length, errors: 0, bytes_fetched: 1e6, requests_fetched: 3,
    per_second: p99s.map((p99, second): LoadSecond => ({ second, answered: 50, errors: 0, p50_ms: p99 / 2, p99_ms: p99 })),
  },
});

test("curves and settle times: each second's median over samples, and the second from which p99 stays within 10% (or 1 ms) of the baseline's over 3-second windows", () => {
  const base = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz', 'soci'], rounds: 3 }).filter((s) => s.status === 'ok' && !s.disturbed);
  // estargz: slow for two seconds, then within reach but for one noisy second; soci: slower to the end.
  const p99s: Record<string, number[]> = { legacy: [10, 10, 10, 10, 10, 10, 10], estargz: [80, 30, 10.5, 25, 10.9, 10, 10], soci: [80, 10, 10, 10, 10, 40, 40] };
  const samples = base.map((s) => withLoad(s, p99s[s.mode]!));
  const order = { workloads: ['a'], modes: ['legacy', 'estargz', 'soci'] };
  const curves = loadCurves([...samples].reverse(), order);
  assert.deepEqual(curves.map((c) => c.mode), ['legacy', 'estargz', 'soci'], 'in the report\'s order, not the samples\'');
  assert.deepEqual(curves[1]!.points.map((p) => p.p99_ms), p99s.estargz);
  const settle = settleTimes(curves);
  assert.deepEqual(settle.map((x) => [x.mode, x.reference_ms, x.settled_s]), [['estargz', 10, 2], ['soci', 10, undefined]]);
  const table = afterReadyTable(curves)!;
  assert.deepEqual(table.rows.map((r) => r[8]), ['reference', '3', 'not in the load']);
  // A load that could not run is left out; no load, no table.
  assert.equal(loadCurves(samples.map((s) => ({ ...s, after_ready: { ...s.after_ready!, problem: 'connect refused' } })), order).length, 0);
  assert.equal(afterReadyTable([]), undefined);
});

test('the catalogue: a load after ready is for servers, on the probe\'s port unless it names one', () => {
  const w = (extra: string, pattern = 'cmd-arg-wait') => `workloads:
  - name: s
    category: web-server
    image: { ref: r/s:1 }
    pattern: ${pattern}
    args: [serve]
${extra}`;
  const [probed] = parseCatalog(w('    ready: { http: { port: 80 } }\n    after_ready: { seconds: 5 }\n'), 'c.yaml');
  assert.deepEqual({ ...probed!.after_ready }, { seconds: 5, rate: 50, connections: 4 });
  assert.throws(() => parseCatalog(w('    waitline: up\n    after_ready: { seconds: 5 }\n'), 'c.yaml'), /after_ready\.http: required when the workload has no ready/);
  assert.throws(() => parseCatalog(w('    expect: x\n    after_ready: { http: { port: 80 } }\n', 'cmd-arg'), 'c.yaml'), /after_ready: only servers/);
  assert.throws(() => parseCatalog(w('    waitline: up\n    after_ready: { http: { port: 80 }, seconds: 600 }\n'), 'c.yaml'), /after_ready\.seconds/);
  // A database: pgbench's defaults; not both kinds at once.
  const [db] = parseCatalog(w('    waitline: up\n    after_ready: { postgres: {}, seconds: 5 }\n'), 'c.yaml');
  assert.deepEqual(db!.after_ready!.postgres, { port: 5432, user: 'postgres', database: 'postgres', scale: 1 });
  assert.throws(() => parseCatalog(w('    waitline: up\n    after_ready: { http: { port: 80 }, postgres: {} }\n'), 'c.yaml'), /after_ready: give one of http and postgres/);
  assert.throws(() => parseCatalog(w('    waitline: up\n    after_ready: { postgres: { scale: 0 } }\n'), 'c.yaml'), /after_ready\.postgres\.scale/);
});
