// The CRI runtime on the real lab: containerd's CRI plugin driven with crictl, pods on Debian's
// CNI bridge, every snapshotter configured as its Kubernetes Quick Start says. Needs root.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MODE_NAMES, modeByName } from '../../src/systems/index.ts';
import { readMeta } from '../../src/results/metadata.ts';
import { cli, leftovers, readSamples } from './helpers.ts';

const out = (name: string) => join(mkdtempSync(join(tmpdir(), 'hellobench-cri-')), name);
const ipForward = () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
const CRI_PHASES = ['pull', 'sandbox', 'create', 'run'] as const;
/** Modes whose snapshotter fetches the profiled files in the background after the pull. */
const PREFETCHING = ['estargz', 'zstdchunked', 'nydus-prefetch'];

before(() => {
  assert.equal(process.getuid?.(), 0, 'the end-to-end tests drive a real containerd and need root');
  assert.deepEqual(leftovers(), [], 'a previous run left lab state behind');
});

test('--runtime cri: every mode of the smoke catalogue starts pods, lazily where it should, and leaves no pod, netns or CNI state', async () => {
  const forwarding = ipForward();
  const dir = out('smoke');
  const r = await cli(['run', '--runtime', 'cri', '--workloads', 'workloads/smoke.yaml', '--samples', '3', '--seed', '12', '--link', 'loopback', '--keep-disturbed', '--warm', '--out', dir]);
  const all = readSamples(dir);
  assert.equal(all.length, 4 * MODE_NAMES.length * 3, 'three samples per workload and mode');
  // A lazy snapshotter that now and then pulls a layer whole, or every layer of a small image
  // (seen: SOCI through CRI, 2 and 3 of its 12 samples in two runs), is caught by its lazy proof:
  // that sample is invalid, never fast. Nothing else may go wrong, and every image x mode has at
  // least 2 ok samples of 3.
  const bad = all.filter((s) => s.status !== 'ok');
  for (const s of bad) {
    assert.equal(s.status, 'invalid', `${s.workload}/${s.mode} round ${s.round}: ${s.reason}`);
    assert.match(s.reason ?? '', /^pull: (only \d+ of \d+ layers were|no layer was) mounted lazily/);
  }
  assert.equal(r.exitCode, bad.length ? 1 : 0, r.all);
  const samples = all.filter((s) => s.status === 'ok');
  for (const w of ['hello', 'checksum', 'server', 'script']) {
    for (const m of MODE_NAMES) assert.ok(samples.filter((s) => s.workload === w && s.mode === m).length >= 2, `${w}/${m}: ok samples`);
  }
  for (const s of samples) {
    const label = `${s.workload}/${s.mode} round ${s.round}`;
    for (const p of CRI_PHASES) assert.ok((s.phases[p] ?? 0) > 0, `${label}: ${p} must be positive`);
    assert.ok(Math.abs(s.total! - CRI_PHASES.reduce((t, p) => t + s.phases[p]!, 0)) < 1e-9, `${label}: total is the sum of the four phases`);
    if (s.mode === 'legacy') {
      assert.equal(s.lazy_mounts, undefined);
      assert.ok((s.bytes_fetched.pull ?? 0) >= s.image_bytes, `${label}: legacy's CRI pull fetched ${s.bytes_fetched.pull} of ${s.image_bytes} bytes`);
    } else {
      // The snapshotter got CRI's remote-snapshot labels: the image is mounted lazily, not unpacked.
      assert.ok((s.lazy_mounts ?? 0) >= 1, `${label}: ${s.lazy_mounts} lazy mounts`);
      if (modeByName(s.mode).system.name !== 'nydus') assert.ok(s.lazy_mounts! >= s.layers, `${label}: ${s.lazy_mounts} FUSE mounts for ${s.layers} layers`);
      assert.ok(s.bytes_fetched.total < s.image_bytes / 2, `${label}: fetched ${s.bytes_fetched.total} of ${s.image_bytes} bytes`);
    }
    // The pause image is on the node before the clock starts: without a prefetch that may finish
    // meanwhile, the sandbox phase fetches nothing.
    if (!PREFETCHING.includes(s.mode)) assert.equal(s.bytes_fetched.sandbox ?? 0, 0, `${label}: the sandbox phase fetched ${s.bytes_fetched.sandbox} bytes`);
  }
  // --warm: after the cold pod was removed, a second pod of the image on the node, without a pull.
  for (const s of samples) {
    assert.equal(s.warm?.status, 'ok', `${s.workload}/${s.mode} round ${s.round} warm: ${s.warm?.reason}`);
    assert.deepEqual(Object.keys(s.warm.phases), ['sandbox', 'create', 'run']);
  }
  for (const m of MODE_NAMES) {
    const of = samples.filter((s) => s.mode === m);
    const [warm, cold] = [of.reduce((t, s) => t + s.warm!.total!, 0), of.reduce((t, s) => t + s.total!, 0)];
    assert.ok(warm < cold, `${m}: second starts took ${warm.toFixed(3)} s, cold ones ${cold.toFixed(3)} s`);
  }
  // Each pattern's own evidence: the output through CRI's log, the server's wait line, the stdin script's mounted file.
  const tail = (w: string) => samples.filter((s) => s.workload === w).map((s) => s.output_tail ?? '');
  assert.ok(tail('hello').every((t) => t.includes('hello')));
  assert.ok(tail('server').every((t) => t.includes('ready to accept connections')));
  assert.ok(tail('script').every((t) => t.includes('hello from a mounted file')));

  const meta = readMeta(join(dir, 'run.json'));
  assert.equal(meta.options.runtime, 'cri');
  assert.match(meta.versions.crictl ?? '', /v1\.37\.0/);
  assert.match(meta.versions.cni ?? '', /containernetworking-plugins/);
  const report = readFileSync(join(dir, 'summary.md'), 'utf8');
  assert.match(report, /start-up of pods through CRI/);
  assert.match(report, /\|mode\|pull\(sec\)\|sandbox\(sec\)\|create\(sec\)\|run\(sec\)\|/);
  assert.match(readFileSync(join(dir, 'startup.svg'), 'utf8'), /starting up pods through CRI/);
  assert.deepEqual(leftovers(), [], 'pods, network namespaces, the bridge and CNI results are gone');
  assert.equal(ipForward(), forwarding, 'IP forwarding is as the lab found it');

  // A ctr run of the same images is another measurement: compare refuses it unless asked.
  const ctrDir = out('ctr');
  const c = await cli(['run', '--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy,estargz', '--samples', '1', '--link', 'loopback', '--out', ctrDir]);
  assert.equal(c.exitCode, 0, c.all);
  const refused = await cli(['compare', ctrDir, dir]);
  assert.equal(refused.exitCode, 2);
  assert.match(refused.all, /ran --runtime ctr and .* --runtime cri: .* pass --across-runtimes/);
  const asked = await cli(['compare', '--across-runtimes', '--out', out('cmp'), ctrDir, dir]);
  assert.equal(asked.exitCode, 0, asked.all);
  assert.match(asked.all, /Runtimes differ \(base ctr, new cri/);
});

test('--runtime cri: the Node.js demo is ready at its first HTTP answer from the pod in every mode', async () => {
  const dir = out('node');
  const r = await cli(['run', '--runtime', 'cri', '--only', 'node-demo', '--samples', '1', '--link', 'loopback', '--keep-disturbed', '--out', dir]);
  assert.equal(r.exitCode, 0, r.all);
  const samples = readSamples(dir);
  assert.equal(samples.length, MODE_NAMES.length);
  for (const s of samples) {
    assert.equal(s.status, 'ok', `${s.mode}: ${s.reason}`);
    assert.match(s.output_tail ?? '', /Hello World!/, `${s.mode}: the probe's answer`);
    if (s.mode !== 'legacy') assert.ok((s.lazy_mounts ?? 0) >= 1, `${s.mode}: lazy`);
  }
  assert.deepEqual(leftovers(), []);
});

test('--runtime cri: Ctrl-C during a pod start leaves no pod, netns, mount or CNI state, and the next run works', async () => {
  const forwarding = ipForward();
  const dir = out('interrupted');
  const child = cli(['run', '--runtime', 'cri', '--workloads', 'workloads/smoke.yaml', '--samples', '2', '--link', 'loopback', '--out', dir], { detached: true });
  let seen = '';
  child.all?.on('data', (c: Buffer) => { seen += c.toString(); });
  // Three samples in, then at a moment inside the next one's pod start.
  while ((seen.match(/round 1 /g) ?? []).length < 3 && child.exitCode === null) await sleep(50);
  await sleep(400);
  child.kill('SIGINT');
  const r = await child;
  assert.equal(r.exitCode, 130, r.all);
  assert.match(readMeta(join(dir, 'run.json')).outcome, /^interrupted/);
  assert.deepEqual(leftovers(), []);
  assert.equal(ipForward(), forwarding);
  const again = await cli(['run', '--runtime', 'cri', '--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy', '--samples', '1', '--link', 'loopback', '--out', out('after')]);
  assert.equal(again.exitCode, 0, again.all);
  assert.deepEqual(leftovers(), []);
});
