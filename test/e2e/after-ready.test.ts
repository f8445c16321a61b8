// The first seconds of service on the real lab: a server's load after ready, through ctr (on
// the host's network) and CRI (at the pod's address), second by second, outside the clock; an
// HTTP server and a database.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadCatalog } from '../../src/catalog/load.ts';
import { cli, leftovers, readSamples } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hellobench-e2e-after-ready-'));

/**
 * busybox's httpd, up at its first answer, then loaded for 5 s at 20 requests a second; and
 * Debian's PostgreSQL (the default catalogue's image and command), its table written once it
 * is up, then pgbench's select-only transaction for 10 s at 10 a second.
 */
const postgres = loadCatalog('workloads/debian.yaml').find((w) => w.name === 'postgres')!;
const catalogue = join(tmp, 'servers.yaml');
writeFileSync(catalogue, `workloads:
  - name: web
    category: web-server
    image:
      build:
        base: busybox
        layers:
          - files:
              - { path: /www/unused.bin, size: 16MiB }
    pattern: cmd-arg-wait
    args: [sh, -c, "echo hello > /www/index.html && exec httpd -f -p 18081 -h /www"]
    ready: { http: { port: 18081, path: /index.html, expect: hello } }
    after_ready: { seconds: 5, rate: 20 }
    timeout: 60
  - name: db
    category: database
    image: { build: { base: debian, packages: [postgresql] } }
    pattern: cmd-arg-wait
    args: ${JSON.stringify(postgres.args)}
    waitline: ${JSON.stringify(postgres.waitline)}
    after_ready: { postgres: {}, seconds: 10, rate: 10 }
    timeout: 180
`);
const LOAD_S: Record<string, number> = { web: 5, db: 10 };

before(() => {
  assert.equal(process.getuid?.(), 0, 'the end-to-end tests drive a real containerd and need root');
  assert.deepEqual(leftovers(), [], 'a previous run left lab state behind');
});

for (const runtime of ['ctr', 'cri']) {
  test(`--after-ready through ${runtime}: every second of the load answered, outside the clock, in the report`, async () => {
    const dir = join(tmp, runtime);
    const r = await cli(['run', '--workloads', catalogue, '--runtime', runtime, '--modes', 'legacy,estargz-noopt', '--samples', '1', '--seed', '3', '--link', 'loopback', '--keep-disturbed', '--after-ready', '--out', dir]);
    assert.equal(r.exitCode, 0, r.all);
    const samples = readSamples(dir);
    assert.equal(samples.length, 4);
    for (const s of samples) {
      const a = s.after_ready!;
      assert.ok(a && !a.problem, `${s.workload} ${s.mode}: ${JSON.stringify(a)}`);
      assert.equal(a.sent, 100);
      assert.equal(a.answered, 100, `${s.workload} ${s.mode}: ${a.errors} errors`);
      assert.ok(a.per_second.length >= LOAD_S[s.workload]! && a.per_second.every((p) => p.p99_ms! > 0), JSON.stringify(a.per_second));
      // The clock stopped at ready: the run phase does not hold the load.
      assert.ok(s.phases.run! < LOAD_S[s.workload]!, `${s.workload} ${s.mode}: run ${s.phases.run} s`);
      if (s.workload === 'db') {
        // The table was written (over the database's own protocol) before the first request.
        assert.match(a.target, /^postgres 5432: pgbench select-only, scale 1$/);
        assert.ok(a.setup_s! > 0, `setup ${a.setup_s}`);
      }
    }
    for (const f of ['after-ready.svg', 'after-ready.png']) assert.ok(existsSync(join(dir, f)), f);
    assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /## The first seconds of service \(--after-ready\)/);
    assert.deepEqual(leftovers(), []);
  });
}
