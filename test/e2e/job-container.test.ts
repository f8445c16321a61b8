// The scheduled benchmark in the environment its workflow describes: ci/job-container.ts runs
// benchmark.yml's jobs (plan, two bench shards in new debian:12 roots, publish) on the smoke
// catalogue with an empty actions cache, so every tool is built inside the bare root and a
// build prerequisite that only a developer's machine has fails here; then, from that cache, a
// sweep (input link=sweep) over two links on the same two shards, merged link by link.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { leftovers, readSamples, ROOT } from './helpers.ts';
import type { JobContainerResult } from '../../ci/job-container.ts';

const WORK = `/var/tmp/hellobench-job-container-test-${process.pid}`;
const SWEEP_WORK = `${WORK}-sweep`;
// The actions cache the cold run fills and the sweep starts from.
const CACHE = `${WORK}-cache`;
const SMOKE = ['--input', 'catalogue=workloads/smoke.yaml', '--input', 'names=hello,checksum', '--input', 'samples=1', '--input', 'shards=2'];
after(() => { for (const d of [WORK, SWEEP_WORK, CACHE]) rmSync(d, { recursive: true, force: true }); });

/** ci/job-container.ts's run: every step's outcome (failed steps with their log's tail). */
async function jobContainer(work: string, inputs: string[]): Promise<{ result: JobContainerResult; all: string; exitCode?: number }> {
  const r = await execa('node', ['--import', 'tsx', 'ci/job-container.ts', '--work', work, '--cache-store', CACHE, '--keep', ...inputs], { cwd: ROOT, reject: false, all: true });
  const result = JSON.parse(readFileSync(join(work, 'result.json'), 'utf8')) as JobContainerResult;
  const failed = result.steps.filter((s) => s.outcome === 'failure').map((s) => `${s.job}: ${s.step} (exit ${s.exitCode})\n${s.tail}`);
  assert.deepEqual(failed, [], r.all);
  assert.deepEqual(result.jobs.map((j) => `${j.job} ${j.result}`), ['plan success', 'bench-1 success', 'bench-2 success', 'publish success']);
  assert.equal(r.exitCode, 0, r.all);
  return { result, all: r.all, exitCode: r.exitCode };
}

test('the benchmark workflow runs in bare debian:12 roots: preflight, set-up from nothing, image-key, two shards, publish', { timeout: 60 * 60_000 }, async () => {
  try {
    const { result } = await jobContainer(WORK, SMOKE);

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

test('a sweep through the workflow (link=sweep): each shard runs its image under every link, publish merges them link by link into sweeps/', { timeout: 30 * 60_000 }, async () => {
  const { result } = await jobContainer(SWEEP_WORK, [...SMOKE, '--input', 'link=sweep', '--input', 'bandwidths=100mbit', '--input', 'rtts=2ms,80ms']);
  const log1 = readFileSync(join(SWEEP_WORK, 'logs/bench-1.log'), 'utf8');
  assert.match(log1, /actions\/cache\/restore: restored hellobench-tools-/);
  assert.doesNotMatch(log1, /building nydus-rs/, 'the tools came from the cold run\'s cache');
  assert.ok(result.steps.some((s) => s.job === 'bench-2' && s.step.startsWith('scripts/bench.sh') && s.outcome === 'success'));

  // Each shard's artifact is a sweep: both links, its own image only.
  const links = ['100mbit-2ms', '100mbit-80ms'];
  for (const n of [1, 2]) {
    const dir = join(SWEEP_WORK, 'artifacts', `shard-${n}`, `shard-${n}`);
    const meta = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { options: { shard: string }; blocks: Record<string, { exit_code: number }> };
    assert.equal(meta.options.shard, `${n}/2`);
    assert.deepEqual(Object.keys(meta.blocks), links);
    for (const link of links) assert.deepEqual([...new Set(readSamples(join(dir, link)).map((s) => s.workload))], [n === 1 ? 'hello' : 'checksum'], `shard ${n} ${link}`);
  }

  // publish: one sweep under sweeps/, each link the two shards merged; the history and the index name it.
  const pages = join(SWEEP_WORK, 'roots/publish/home/runner/work/hellobench/hellobench/pages');
  const [sweep, ...more] = readdirSync(join(pages, 'sweeps'));
  assert.equal(more.length, 0);
  const merged = join(pages, 'sweeps', sweep!);
  for (const link of links) {
    const samples = readSamples(join(merged, link));
    assert.deepEqual([...new Set(samples.map((s) => s.workload))].sort(), ['checksum', 'hello'], link);
    for (const s of samples) assert.equal(s.status, 'ok', `${link} ${s.workload} ${s.mode}: ${s.reason}`);
    const meta = JSON.parse(readFileSync(join(merged, link, 'run.json'), 'utf8')) as { link: { rttMs: number; measured?: { rtt_ms: number } }; shards: unknown[] };
    assert.equal(meta.shards.length, 2);
    assert.equal(meta.link.rttMs, Number.parseInt(link.split('-')[1]!, 10));
  }
  for (const f of ['sweep.json', 'sweep.csv', 'sweep.html', 'speedup-rtt.svg', 'sweep.md']) assert.ok(existsSync(join(merged, f)), f);
  assert.match(readFileSync(join(merged, 'sweep.md'), 'utf8'), /on 2 shards side by side \(1\/2: [\d.]+ min, 2\/2: [\d.]+ min\)/);
  assert.match(readFileSync(join(pages, 'index.html'), 'utf8'), new RegExp(`sweeps/${sweep}/sweep.html`));
  const history = JSON.parse(readFileSync(join(pages, 'history/history.json'), 'utf8')) as { runs: { link: string }[] };
  assert.equal(history.runs.length, 2, 'the history has each link of the sweep');
  assert.match(readFileSync(join(SWEEP_WORK, 'summaries/publish.md'), 'utf8'), /# hellobench sweep/);
  assert.deepEqual(leftovers(), []);
});
