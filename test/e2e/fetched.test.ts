// The gate that does not depend on time: what a cell fetched (bytes and registry requests) is the
// same in back-to-back runs of one image, and an image changed on purpose (one file more in its
// read set) is flagged by `compare` on what was fetched, in every system. Every lazy system
// counts what the container read.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Change } from '../../src/stats/compare.ts';
import { cli, leftovers, readSamples } from './helpers.ts';

/** One mode per system: legacy's full pull, and each lazy system without a prefetch profile. */
const MODES = ['legacy', 'estargz-noopt', 'nydus', 'soci'];
/** Systems whose fetches are the same bytes and requests in every sample (SOCI's can move on a busy machine). */
const EXACT = ['legacy', 'estargz-noopt', 'nydus'];
const MiB = 2 ** 20;

const tmp = mkdtempSync(join(tmpdir(), 'hellobench-e2e-fetched-'));

/** A catalogue of one reader: it reads /data/read whole and never the unused file. */
function catalogue(name: string, readFiles: { path: string; size: string }[]): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, `workloads:
  - name: reader
    category: other
    image:
      build:
        base: busybox
        layers:
          - files:
${[...readFiles, { path: '/data/unused.bin', size: '24MiB' }].map((f) => `              - { path: ${f.path}, size: ${f.size} }`).join('\n')}
    pattern: cmd-arg
    args: [sh, -c, "cat /data/read/* >/dev/null && echo read"]
    expect: read
    timeout: 60
`);
  return file;
}

async function run(name: string, workloads: string): Promise<string> {
  const dir = join(tmp, name);
  const r = await cli(['run', '--workloads', workloads, '--modes', MODES.join(','), '--samples', '2', '--seed', '11', '--link', 'loopback', '--keep-disturbed', '--out', dir]);
  assert.equal(r.exitCode, 0, r.all);
  return dir;
}

async function compare(base: string, next: string, name: string): Promise<{ exitCode: number; changes: Change[]; all: string }> {
  const outDir = join(tmp, name);
  const r = await cli(['compare', '--fail-on-regression', '--out', outDir, base, next]);
  return { exitCode: r.exitCode ?? -1, all: r.all, changes: JSON.parse(readFileSync(join(outDir, 'compare.json'), 'utf8')).changes };
}

before(() => {
  assert.equal(process.getuid?.(), 0, 'the end-to-end tests drive a real containerd and need root');
  assert.deepEqual(leftovers(), [], 'a previous run left lab state behind');
});

test('what a cell fetched is the same in back-to-back runs; one file more in the read set is flagged by compare in every system', async () => {
  const original = catalogue('original', [{ path: '/data/read/a.bin', size: '4MiB' }]);
  const changed = catalogue('changed', [{ path: '/data/read/a.bin', size: '4MiB' }, { path: '/data/read/b.bin', size: '3MiB' }]);
  const first = await run('first', original);
  const second = await run('second', original);
  const third = await run('third', changed);

  // Back to back: the same bytes and requests in every sample of a cell, in both runs.
  const all = [...readSamples(first), ...readSamples(second)];
  for (const s of all) assert.equal(s.status, 'ok', `${s.mode}: ${s.reason}`);
  for (const m of EXACT) {
    const of = all.filter((s) => s.mode === m);
    assert.equal(of.length, 4);
    assert.equal(new Set(of.map((s) => s.bytes_fetched.total)).size, 1, `${m}: bytes ${of.map((s) => s.bytes_fetched.total).join(', ')}`);
    assert.equal(new Set(of.map((s) => s.requests!.total)).size, 1, `${m}: requests ${of.map((s) => s.requests!.total).join(', ')}`);
  }
  // What the container read, where the system counts it (every lazy system here): the 4 MiB file
  // whole and busybox's own reads, never the unused 24 MiB.
  for (const s of all.filter((x) => x.mode !== 'legacy')) {
    assert.ok(s.read_bytes !== undefined && s.read_bytes >= 4 * MiB && s.read_bytes < 12 * MiB, `${s.mode}: read ${s.read_bytes}`);
  }
  const same = await compare(first, second, 'same');
  // SOCI's are judged within its wider noise (a busy runner moved them by 5.4% and 2 requests);
  // a failure shows each sample's bytes and requests by phase, to tell where the change was.
  const byPhase = (m: string) => all.filter((s) => s.mode === m).map((s) => JSON.stringify({ bytes: s.bytes_fetched, requests: s.requests })).join(' ');
  for (const c of same.changes) assert.equal(c.fetched?.verdict, 'same', `${c.mode}: ${JSON.stringify(c.fetched)}; samples of both runs: ${byPhase(c.mode)}`);
  assert.match(same.all, /What was fetched: 0 regression\(s\), 0 improvement\(s\), 4 the same/);

  // The changed image: every system fetched the 3 MiB file more (legacy: the whole image grew by
  // it). SOCI fetches whole spans of 4 MiB: its growth reaches past the file (4.29 MB seen).
  const flagged = await compare(first, third, 'flagged');
  assert.equal(flagged.exitCode, 1, `--fail-on-regression fails on bytes alone: ${flagged.all}`);
  for (const m of MODES) {
    const c = flagged.changes.find((x) => x.mode === m)!;
    assert.equal(c.fetched?.verdict, 'regression', `${m}: ${JSON.stringify(c.fetched)}`);
    const more = c.fetched!.bytes.next - c.fetched!.bytes.base;
    assert.ok(more >= 3 * MiB && more < (m === 'soci' ? 8 : 4) * MiB, `${m}: ${more} bytes more for a 3 MiB file`);
  }
  assert.match(flagged.all, /What was fetched: 4 regression\(s\)/);
  assert.deepEqual(leftovers(), []);
});
