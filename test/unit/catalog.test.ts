import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatalogError, loadCatalog, parseCatalog, selectWorkloads } from '../../src/catalog/load.ts';
import { parseSize } from '../../src/catalog/schema.ts';

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
