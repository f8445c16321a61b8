// The scheduled benchmark in the environment its workflow describes: ci/job-container.ts runs
// benchmark.yml's jobs (plan, two bench shards in new debian:12 roots, publish) on the smoke
// catalogue with an empty actions cache, so every tool is built inside the bare root and a
// build prerequisite that only a developer's machine has fails here.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { leftovers, readSamples, ROOT } from './helpers.ts';
import type { JobContainerResult } from '../../ci/job-container.ts';

const WORK = `/var/tmp/hellobench-job-container-test-${process.pid}`;

test('the benchmark workflow runs in bare debian:12 roots: preflight, set-up from nothing, image-key, two shards, publish', { timeout: 60 * 60_000 }, async () => {
  try {
    const r = await execa('node', ['--import', 'tsx', 'ci/job-container.ts', '--work', WORK, '--keep',
      '--input', 'catalogue=workloads/smoke.yaml', '--input', 'names=hello,checksum', '--input', 'samples=1', '--input', 'shards=2'],
    { cwd: ROOT, reject: false, all: true });
    const result = JSON.parse(readFileSync(join(WORK, 'result.json'), 'utf8')) as JobContainerResult;
    const failed = result.steps.filter((s) => s.outcome === 'failure').map((s) => `${s.job}: ${s.step} (exit ${s.exitCode})\n${s.tail}`);
    assert.deepEqual(failed, [], r.all);
    assert.deepEqual(result.jobs.map((j) => `${j.job} ${j.result}`), ['plan success', 'bench-1 success', 'bench-2 success', 'publish success']);
    assert.equal(r.exitCode, 0, r.all);

    const step = (job: string, prefix: string) => result.steps.find((s) => s.job === job && s.step.startsWith(prefix));
    // The preflight answered before any build, in seconds.
    const preflight = step('bench-1', 'scripts/setup.sh --preflight');
    assert.ok(preflight && preflight.outcome === 'success' && preflight.seconds < 180, JSON.stringify(preflight));
    // The first shard built every tool inside its root (nothing came from a cache) and saved
    // them right after set-up; the second restored them.
    const tools = join(WORK, 'hosts/bench-1/var/cache/hellobench');
    // (bin/nydusd links to opt/: the link's target is checked, as the host has its own.)
    for (const bin of ['opt/nydus-rs-2.2.0/bin/nydusd', 'opt/nydus-rs-2.2.0/bin/nydus-image', 'bin/containerd2/containerd', 'bin/containerd-stargz-grpc', 'bin/soci-snapshotter-grpc', 'bin/delay-line']) {
      assert.ok(existsSync(join(tools, bin)), `${bin} built in the job root`);
    }
    assert.ok(result.cacheSaved.some((k) => k.startsWith('hellobench-tools-')), `tools cache saved: ${result.cacheSaved.join(', ')}`);
    assert.ok(result.cacheSaved.filter((k) => k.startsWith('hellobench-images-')).length === 2, `one image cache per shard: ${result.cacheSaved.join(', ')}`);
    const setup2 = readFileSync(join(WORK, 'logs/bench-2.log'), 'utf8');
    assert.match(setup2, /actions\/cache\/restore: restored hellobench-tools-/);
    assert.doesNotMatch(setup2, /building nydus-rs/, 'the second shard builds nothing the first saved');

    // Each shard measured its own image in every mode: real samples with real phases and bytes.
    const shards = join(WORK, 'artifacts');
    assert.deepEqual(readdirSync(shards).sort(), ['shard-1', 'shard-2']);
    const seen = new Set<string>();
    for (const n of [1, 2]) {
      const samples = readSamples(join(shards, `shard-${n}`, `shard-${n}`));
      assert.ok(samples.length >= 7, `shard ${n}: ${samples.length} samples`);
      for (const s of samples) {
        assert.equal(s.status, 'ok', `${s.workload} ${s.mode}: ${s.reason}`);
        for (const p of ['pull', 'create', 'run'] as const) assert.ok((s.phases[p] ?? 0) > 0, `${s.workload} ${s.mode} ${p}`);
        assert.ok(s.bytes_fetched.total > 0, `${s.workload} ${s.mode} fetched bytes`);
        seen.add(s.workload);
      }
      const meta = JSON.parse(readFileSync(join(shards, `shard-${n}`, `shard-${n}`, 'run.json'), 'utf8')) as { host: Record<string, unknown> };
      assert.ok(meta.host.cgroup, `shard ${n}: run.json records the cgroup layout`);
    }
    assert.deepEqual([...seen].sort(), ['checksum', 'hello']);

    // publish merged both shards into the pages tree and its history.
    const pages = join(WORK, 'roots/publish/home/runner/work/hellobench/hellobench/pages');
    const runs = readdirSync(join(pages, 'runs'));
    assert.equal(runs.length, 1);
    assert.equal(readSamples(join(pages, 'runs', runs[0]!)).length, readSamples(join(shards, 'shard-1/shard-1')).length + readSamples(join(shards, 'shard-2/shard-2')).length);
    for (const f of ['history/history.html', 'index.html', 'badge.svg', 'startup.svg']) assert.ok(existsSync(join(pages, f)), f);
    // The job summary has each shard's counts.
    assert.match(readFileSync(join(WORK, 'summaries/bench-1.md'), 'utf8'), /hellobench run shard 1\/2: passed/);
  } finally {
    // The roots' mounts lived in the runner's own mount namespace: only files are left.
    rmSync(WORK, { recursive: true, force: true });
  }
  assert.deepEqual(leftovers(), []);
});
