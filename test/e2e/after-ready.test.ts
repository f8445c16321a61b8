// The first seconds of service on the real lab: a server's load after ready, through ctr (on
// the host's network) and CRI (at the pod's address), second by second, outside the clock.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { cli, leftovers, readSamples } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hellobench-e2e-after-ready-'));

/** busybox's httpd, up at its first answer, then loaded for 5 s at 20 requests a second. */
const catalogue = join(tmp, 'web.yaml');
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
`);

before(() => {
  assert.equal(process.getuid?.(), 0, 'the end-to-end tests drive a real containerd and need root');
  assert.deepEqual(leftovers(), [], 'a previous run left lab state behind');
});

for (const runtime of ['ctr', 'cri']) {
  test(`--after-ready through ${runtime}: every second of the load answered, outside the clock, in the report`, async () => {
    const dir = join(tmp, runtime);
    const r = await cli(['run', '--workloads', catalogue, '--runtime', runtime, '--modes', 'legacy,estargz-noopt', '--samples', '1', '--link', 'loopback', '--keep-disturbed', '--after-ready', '--out', dir]);
    assert.equal(r.exitCode, 0, r.all);
    for (const s of readSamples(dir)) {
      const a = s.after_ready!;
      assert.ok(a && !a.problem, `${s.mode}: ${JSON.stringify(a)}`);
      assert.equal(a.sent, 100);
      assert.equal(a.answered, 100, `${s.mode}: ${a.errors} errors`);
      assert.ok(a.per_second.length >= 5 && a.per_second.every((p) => p.p99_ms! > 0), JSON.stringify(a.per_second));
      // The clock stopped at ready: the run phase does not hold the load's 5 s.
      assert.ok(s.phases.run! < 5, `${s.mode}: run ${s.phases.run} s`);
    }
    for (const f of ['after-ready.svg', 'after-ready.png']) assert.ok(existsSync(join(dir, f)), f);
    assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /## The first seconds of service \(--after-ready\)/);
    assert.deepEqual(leftovers(), []);
  });
}
