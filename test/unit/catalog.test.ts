import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatalogError, loadCatalog, parseCatalog, selectWorkloads } from '../../src/catalog/load.ts';
import { parseSize } from '../../src/catalog/schema.ts';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plan } from '../../src/bench/plan.ts';
import { MODES } from '../../src/systems/index.ts';
import { sourceRef } from '../../src/images/prepare.ts';

const ok = `workloads:
  - name: py
    category: language
    image: { ref: example.org/python:3.10 }
    pattern: cmd-arg
    args: [python3, -c, "print('hello')"]
    expect: hello
  - name: srv
    category: database
    image: { ref: example.org/redis:7 }
    pattern: cmd-arg-wait
    args: [redis-server]
    waitline: Ready to accept connections
    env: { A: 1 }
    mounts: [{ source: ./src, target: /src }]
`;

const fails = (text: string, re: RegExp) => assert.throws(() => parseCatalog(text, 'w.yaml'), (e: Error) => {
  assert.ok(e instanceof CatalogError, `not a CatalogError: ${e}`);
  assert.match(e.message, re);
  return true;
});

test('a valid catalogue parses, with defaults and resolved mounts', () => {
  const ws = parseCatalog(ok, '/cat/w.yaml');
  assert.equal(ws.length, 2);
  assert.deepEqual(ws[0]!.command, ['python3', '-c', "print('hello')"]);
  assert.equal(ws[0]!.timeout, 120);
  assert.deepEqual(ws[1]!.env, { A: '1' });
  assert.deepEqual(ws[1]!.mounts, [{ source: '/cat/src', target: '/src' }]);
});

test('the shipped smoke catalogue parses and covers all four patterns', () => {
  const ws = loadCatalog('workloads/smoke.yaml');
  assert.deepEqual(new Set(ws.map((w) => w.pattern)), new Set(['echo-hello', 'cmd-arg', 'cmd-arg-wait', 'cmd-stdin']));
  const stdin = ws.find((w) => w.pattern === 'cmd-stdin')!;
  assert.deepEqual(stdin.command, ['sh']);
});

test('YAML syntax errors name file, line and column', () => {
  fails('workloads:\n  - name: [unclosed\n', /^w\.yaml:\d+:\d+: YAML syntax/);
});

test('an unknown pattern names its line and field', () => {
  fails(ok.replace('pattern: cmd-arg\n', 'pattern: cmd-args\n'), /^w\.yaml:5:\d+: workloads\.0\.pattern: /);
});

test('cmd-arg-wait without a wait line is rejected at the workload', () => {
  fails(ok.replace('    waitline: Ready to accept connections\n', ''), /^w\.yaml:8:\d+: workloads\.1\.waitline: required for pattern cmd-arg-wait/);
  fails(ok.replace("    args: [python3, -c, \"print('hello')\"]\n", ''), /^w\.yaml:2:\d+: workloads\.0\.args: required for pattern cmd-arg/);
});

test('a server may be ready at an HTTP answer instead of a wait line, never both, and only a server', () => {
  const probe = '    ready: { http: { port: 80, expect: Hello } }\n';
  const [, redis] = parseCatalog(ok.replace('    waitline: Ready to accept connections\n', probe), 'w.yaml');
  assert.deepEqual(redis!.ready, { http: { port: 80, path: '/', expect: 'Hello' } });
  fails(ok.replace('    waitline: Ready to accept connections\n', `    waitline: Ready\n${probe}`), /workloads\.1\.ready: give either waitline or ready, not both/);
  fails(ok.replace("    args: [python3, -c, \"print('hello')\"]\n", `    args: [python3]\n${probe}`), /workloads\.0\.ready: only servers \(pattern cmd-arg-wait\) have a readiness probe/);
  fails(ok.replace('    waitline: Ready to accept connections\n', '    ready: { http: { port: 80000 } }\n'), /workloads\.1\.ready\.http\.port/);
  const demo = loadCatalog('workloads/debian.yaml').find((w) => w.name === 'node-demo')!;
  assert.deepEqual(demo.ready, { http: { port: 80, path: '/', expect: 'Hello World!' } });
  assert.match(demo.command!.join(' '), /^node -e .*res\.end\('Hello World!\\n'\).*listen\(80\)/);
});

test('duplicate names are rejected at the second one', () => {
  fails(ok.replace('name: srv', 'name: py'), /^w\.yaml:8:\d+: workloads\.1\.name: duplicate name "py"/);
});

test('unknown fields are rejected (typos do not pass silently)', () => {
  fails(ok.replace('expect: hello', 'expcet: hello'), /workloads\.0: Unrecognized key.*expcet/);
});

test('a missing file gives a one-line error naming it', () => {
  assert.throws(() => loadCatalog('no/such.yaml'), /^Error: no\/such\.yaml: cannot read|no\/such\.yaml: cannot read the workload catalogue \(ENOENT\)/);
});

test('--only keeps named workloads and rejects unknown names', () => {
  const ws = parseCatalog(ok, 'w.yaml');
  assert.deepEqual(selectWorkloads(ws, ['srv'], 'w.yaml').map((w) => w.name), ['srv']);
  assert.throws(() => selectWorkloads(ws, ['nope'], 'w.yaml'), /--only: no workload named nope/);
});

test('sizes', () => {
  assert.equal(parseSize('32MiB'), 32 * 1024 * 1024);
  assert.equal(parseSize('1.5KB'), 1500);
  assert.equal(parseSize('7'), 7);
});

test('the HelloBench catalogue: 24 pinned images in four patterns, with their wait lines, env and mounts', () => {
  const ws = loadCatalog('workloads/hellobench.yaml');
  assert.equal(ws.length, 24);
  const count = (p: string) => ws.filter((w) => w.pattern === p).length;
  assert.deepEqual([count('echo-hello'), count('cmd-arg'), count('cmd-arg-wait'), count('cmd-stdin')], [4, 4, 11, 5]);
  for (const w of ws) assert.match((w.image as { ref: string }).ref, /^docker\.io\/[a-z0-9/-]+:[\w.-]+$/, `${w.name} is pinned`);
  const pg = ws.find((w) => w.name === 'postgres')!;
  assert.equal(pg.waitline, 'database system is ready to accept connections');
  assert.deepEqual(pg.env, { POSTGRES_PASSWORD: 'abc' });
  assert.equal(pg.command, undefined, 'servers run their image default command');
  const es = ws.find((w) => w.name === 'elasticsearch')!;
  assert.ok(existsSync(es.mounts[0]!.source), 'the elasticsearch config ships beside the catalogue');
  const gcc = ws.find((w) => w.name === 'gcc')!;
  assert.ok(existsSync(join(gcc.mounts[0]!.source, 'main.c')));
  assert.deepEqual(ws.find((w) => w.name === 'r-base')!.command, ['R', '--no-save']);
});

test('planning the HelloBench catalogue: every image x mode each round; categories select', () => {
  const ws = loadCatalog('workloads/hellobench.yaml');
  assert.equal(plan(ws, MODES, 5, 1).length, 24 * MODES.length * 5);
  assert.deepEqual(selectWorkloads(ws, [], 'h.yaml', ['distro']).map((w) => w.name), ['alpine', 'fedora', 'ubuntu', 'nix']);
  assert.throws(() => selectWorkloads(ws, [], 'h.yaml', ['databse']), /--category: unknown databse/);
});

test('--source-registry replaces the reference\'s registry host', () => {
  assert.equal(sourceRef('docker.io/library/redis:6.2.6'), 'docker.io/library/redis:6.2.6');
  assert.equal(sourceRef('docker.io/library/redis:6.2.6', 'mirror.local:5000'), 'mirror.local:5000/library/redis:6.2.6');
  assert.equal(sourceRef('docker.io/nixos/nix:2.3.12', 'mirror.local/hub/'), 'mirror.local/hub/nixos/nix:2.3.12');
  assert.equal(sourceRef('library/redis:6.2.6', 'm:5000'), 'm:5000/library/redis:6.2.6');
});

test('the Debian catalogue builds every application from Debian packages', () => {
  const ws = loadCatalog('workloads/debian.yaml');
  const names = ws.map((w) => w.name);
  for (const n of ['debian', 'python', 'perl', 'node', 'gcc', 'golang', 'php', 'r-base', 'redis', 'postgres', 'mariadb', 'tomcat', 'rabbitmq']) assert.ok(names.includes(n), n);
  for (const w of ws) assert.equal((w.image as { build: { base: string } }).build.base, 'debian');
});

test('hostile input is data: quotes, $(), backticks, newlines and long strings pass through literally as argv', () => {
  const odd = ['it\'s "quoted"', '$(touch /tmp/pwned)', '`id`', 'a\nb', 'x'.repeat(10_000), '; rm -rf /', '../../etc/passwd'];
  const ws = parseCatalog(`workloads:
  - name: odd
    category: other
    image: { ref: example.org/busybox:1 }
    pattern: cmd-arg
    args: ${JSON.stringify(odd)}
    env: { V: ${JSON.stringify(odd[1])}, W: ${JSON.stringify(odd[3])} }
`, '/cat/w.yaml');
  assert.deepEqual(ws[0]!.command, odd);
  assert.deepEqual(ws[0]!.env, { V: odd[1], W: odd[3] });
});

test('hostile input that cannot be data is rejected at its line: names, references, env names, wait lines', () => {
  const one = (field: string) => `workloads:
  - name: w
    category: other
    image: { ref: example.org/busybox:1 }
    pattern: cmd-arg-wait
    args: [sh]
    waitline: ready
${field}`;
  fails(one('').replace('name: w', 'name: ../../escape'), /^w\.yaml:2:11: workloads\.0\.name: use lower-case letters/);
  fails(one('').replace('name: w', 'name: "a b"'), /workloads\.0\.name: use lower-case letters/);
  fails(one('').replace('example.org/busybox:1', '"example.org/busybox:1 --src-creds x"'), /^w\.yaml:4:\d+: workloads\.0\.image\.ref: an image reference/);
  fails(one('').replace('example.org/busybox:1', '"$(id)"'), /workloads\.0\.image\.ref: an image reference/);
  fails(one('').replace('example.org/busybox:1', '"docker://example.org/x"'), /workloads\.0\.image\.ref: an image reference/);
  fails(one('').replace('waitline: ready', 'waitline: "ready\\nnow"'), /^w\.yaml:7:\d+: workloads\.0\.waitline: one line/);
  fails(one('    env: { "A B": 1 }'), /workloads\.0\.env\.A B: an environment variable name/);
  fails(one('    env: { "X=1": 1 }'), /workloads\.0\.env\.X=1: an environment variable name/);
});

test('a mount outside the catalogue\'s folder needs --allow-outside-mounts, symbolic links included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-cat-'));
  mkdirSync(join(dir, 'src'));
  symlinkSync('/etc', join(dir, 'src', 'sneaky'));
  const cat = (source: string) => `workloads:
  - name: m
    category: other
    image: { ref: example.org/busybox:1 }
    pattern: echo-hello
    mounts: [{ source: ${source}, target: /src }]
`;
  const file = join(dir, 'w.yaml');
  assert.deepEqual(parseCatalog(cat('./src'), file)[0]!.mounts, [{ source: join(dir, 'src'), target: '/src' }]);
  for (const source of ['../../../../../../../etc', '/etc', './src/sneaky']) {
    assert.throws(() => parseCatalog(cat(source), file), (e: Error) => e instanceof CatalogError
      && e.message.startsWith(`${file}:6:24: workloads.0.mounts.0.source: ${source} is /etc, outside the catalogue's folder`)
      && e.message.endsWith('pass --allow-outside-mounts to hand it to the container'), source);
    assert.equal(parseCatalog(cat(source), file, { allowOutsideMounts: true })[0]!.mounts.length, 1);
  }
});

test('the bulk-read catalogue: one 128 MiB file set, read whole in order and at 512 random 64 KiB blocks', () => {
  const ws = loadCatalog('workloads/bulk.yaml');
  assert.deepEqual(ws.map((w) => w.name), ['bulk-seq', 'bulk-random']);
  for (const w of ws) {
    const files = (w.image as { build: { layers: { files: { size: string }[] }[] } }).build.layers.flatMap((l) => l.files);
    assert.equal(files.reduce((b, f) => b + parseSize(f.size), 0), 128 * 2 ** 20);
  }
  // What each one must print: the bytes it read.
  assert.deepEqual(ws.map((w) => w.expect), [String(128 * 2 ** 20), String(512 * 64 * 1024)]);
});
