// Images built from Debian packages (mmdebstrap with the host's apt sources): two layers,
// converted for a system of each kind (profiled eStargz, Nydus with the same profile as its
// prefetch list, SOCI's index), started for real; a second prepare reuses them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, leftovers, readSamples } from './helpers.ts';

test('Debian images: a distro and an application, built, converted, started, then reused', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'hellobench-e2e-')), 'debian');
  const r = await cli(['run', '--workloads', 'workloads/debian.yaml', '--only', 'debian,python', '--modes', 'legacy,estargz,nydus-prefetch,soci', '--samples', '1', '--link', 'lan', '--keep-disturbed', '--out', dir]);
  assert.equal(r.exitCode, 0, r.all);
  const samples = readSamples(dir);
  assert.equal(samples.length, 8);
  for (const s of samples) {
    assert.equal(s.status, 'ok', `${s.workload}/${s.mode}: ${s.reason}`);
    assert.match(s.output_tail ?? '', /hello/);
  }
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  const python = meta.prepared.find((p: { workload: string; mode: string }) => p.workload === 'python' && p.mode === 'legacy');
  const distro = meta.prepared.find((p: { workload: string; mode: string }) => p.workload === 'debian' && p.mode === 'legacy');
  assert.equal(distro.layers, 1, 'the distro image is the minbase layer');
  assert.equal(python.layers, 2, 'an application image is minbase plus its packages');
  assert.ok(python.compressed_bytes > distro.compressed_bytes + 5e6, 'the application layer holds python');
  const profiled = meta.prepared.find((p: { workload: string; mode: string }) => p.workload === 'python' && p.mode === 'estargz');
  assert.ok(profiled.profiled_files > 10, `the profile marked ${profiled.profiled_files} files python read`);
  const nydus = meta.prepared.find((p: { workload: string; mode: string }) => p.workload === 'python' && p.mode === 'nydus-prefetch');
  assert.equal(nydus.profiled_files, profiled.profiled_files, 'Nydus prefetches what the eStargz profile marked');

  const t0 = Date.now();
  const again = await cli(['prepare', '--workloads', 'workloads/debian.yaml', '--only', 'debian,python', '--modes', 'legacy,estargz,nydus-prefetch,soci']);
  assert.equal(again.exitCode, 0, again.all);
  assert.match(again.stderr, /prepared 8 images \(8 reused\)/);
  assert.ok(Date.now() - t0 < 60_000, 'a warm prepare takes seconds');
  assert.deepEqual(leftovers(), []);
});
