// Drives the real lab (containerd, runc, stargz snapshotter, registry) through the CLI
// on small images. Needs root, like the benchmark itself.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { execa } from 'execa';
import { cleanStaleLabs, Lab } from '../../src/lab/lab.ts';
import { NetNs, resolveLink } from '../../src/lab/link.ts';
import { probeLink, probeSize, pushProbeBlob } from '../../src/lab/probe.ts';
import { tool } from '../../src/lab/tools.ts';
import { cli, LAB_BASE, leftovers, readSamples } from './helpers.ts';

import { MODE_NAMES, modeByName } from '../../src/systems/index.ts';

/** Every mode that can run here: the smoke test measures each of them. */
const MODES = MODE_NAMES;
/** Modes whose pull fetches metadata only (no prefetch, no eager layers). */
const METADATA_ONLY_PULL = ['estargz-noopt', 'nydus', 'soci'];
const out = (name: string) => join(mkdtempSync(join(tmpdir(), 'hellobench-e2e-')), name);
/** The delay line's TUN devices in the host's namespace. */
const linkDevices = () => readdirSync('/sys/class/net').filter((d) => /^hbt[hn]\d+$/.test(d));
/** Milliseconds until a fresh TCP connection to host:port is open. */
const connectMs = (hostPort: string) => new Promise<number>((resolve, reject) => {
  const [host, port] = hostPort.split(':');
  const t0 = performance.now();
  const s = connect({ host: host!, port: Number(port) }, () => { resolve(performance.now() - t0); s.destroy(); });
  s.on('error', reject);
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

before(() => {
  assert.equal(process.getuid?.(), 0, 'the end-to-end tests drive a real containerd and need root');
  assert.deepEqual(leftovers(), [], 'a previous run left lab state behind');
});

test('smoke catalogue: every mode of every system gives ok samples, lazy ones really lazy, a faster second start, nothing left behind', async () => {
  const dir = out('smoke');
  const r = await cli(['run', '--workloads', 'workloads/smoke.yaml', '--samples', '1', '--seed', '7', '--keep-disturbed', '--warm', '--out', dir]);
  assert.equal(r.exitCode, 0, r.all);
  const samples = readSamples(dir);
  assert.equal(samples.length, 4 * MODES.length, 'one sample per workload and mode');
  for (const s of samples) {
    const label = `${s.workload}/${s.mode}`;
    assert.equal(s.status, 'ok', `${label}: ${s.reason}`);
    for (const p of ['pull', 'create', 'run'] as const) assert.ok((s.phases[p] ?? 0) > 0, `${label}: ${p} must be positive`);
    assert.ok(Math.abs(s.total! - (s.phases.pull! + s.phases.create! + s.phases.run!)) < 1e-9);
    const beforeRun = (s.bytes_fetched.pull ?? 0) + (s.bytes_fetched.create ?? 0);
    // Every response is counted once: in its phase, or after the last (background fetches).
    const inPhases = Object.entries(s.requests ?? {}).reduce((n, [k, v]) => (k === 'total' ? n : n + v), 0);
    assert.ok(s.requests && s.requests.total >= 1 && inPhases <= s.requests.total, `${label}: requests ${JSON.stringify(s.requests)}`);
    // What the daemons cost: containerd in every sample, the snapshotter's daemon in every lazy one.
    const ctd = s.daemons?.containerd;
    assert.ok(ctd && ctd.cpu_s > 0 && ctd.peak_rss_mb > 0 && (ctd.disk_mb ?? 0) > 0, `${label}: containerd ${JSON.stringify(ctd)}`);
    // Read once up, before the first phase too: starting it cost something, and less than the whole sample.
    assert.ok(ctd.start_cpu_s! > 0 && ctd.start_cpu_s! < ctd.cpu_s && ctd.start_rss_mb! > 0, `${label}: containerd at start ${JSON.stringify(ctd)}`);
    if (s.mode !== 'legacy') {
      const own = s.daemons?.[modeByName(s.mode).system.name];
      assert.ok(own && own.cpu_s > 0 && own.peak_rss_mb > 0, `${label}: its daemon ${JSON.stringify(s.daemons)}`);
    }
    assert.ok((s.daemons_read_ms ?? Infinity) < 1000, `${label}: reading the daemons took ${s.daemons_read_ms} ms`);
    if (s.mode === 'legacy') {
      assert.equal(s.lazy_mounts, undefined);
      assert.ok(beforeRun >= s.image_bytes, `${label}: legacy fetched ${beforeRun} of ${s.image_bytes} bytes before the container started`);
      // A full pull: the manifest, the config and every layer, at least.
      assert.ok(s.requests.pull! >= s.layers + 2, `${label}: ${s.requests.pull} requests for ${s.layers} layers`);
    } else {
      // The system's own lazy proof passed (or the sample would be invalid); it saw FUSE mounts.
      assert.ok((s.lazy_mounts ?? 0) >= 1, `${label}: ${s.lazy_mounts} lazy mounts`);
      if (modeByName(s.mode).system.name !== 'nydus') assert.ok(s.lazy_mounts! >= s.layers, `${label}: ${s.lazy_mounts} FUSE mounts for ${s.layers} layers`);
      // Without prefetch a lazy pull fetches manifests and TOCs only; with it, also what the profile marked.
      if (METADATA_ONLY_PULL.includes(s.mode)) assert.ok(s.bytes_fetched.pull! < 0.05 * s.image_bytes, `${label}: the lazy pull fetched ${s.bytes_fetched.pull} of ${s.image_bytes} bytes`);
      // Every lazy system counts what its mounts returned to the container: checksum reads its 4 MiB file whole.
      assert.ok(s.read_bytes! >= (s.workload === 'checksum' ? 4 * 2 ** 20 : 1), `${label}: read ${s.read_bytes} bytes`);
      assert.ok(beforeRun < 0.5 * s.image_bytes, `${label}: ${beforeRun} of ${s.image_bytes} bytes fetched before the run`);
    }
  }
  assert.deepEqual(new Set(samples.map((s) => s.mode)), new Set(MODES));
  // --warm: every image started again on the node its cold start left, without a pull; legacy
  // fetches nothing then. Faster in every mode (summed over the four images: one sample each).
  for (const s of samples) {
    const label = `${s.workload}/${s.mode} warm`;
    assert.equal(s.warm?.status, 'ok', `${label}: ${s.warm?.reason}`);
    assert.deepEqual(Object.keys(s.warm.phases), ['create', 'run'], label);
    if (s.mode === 'legacy') assert.equal(s.warm.bytes_fetched, 0, `${label}: fetched ${s.warm.bytes_fetched} bytes`);
  }
  for (const m of MODES) {
    const of = samples.filter((s) => s.mode === m);
    const [warm, cold] = [of.reduce((t, s) => t + s.warm!.total!, 0), of.reduce((t, s) => t + s.total!, 0)];
    assert.ok(warm < cold, `${m}: second starts took ${warm.toFixed(3)} s, cold ones ${cold.toFixed(3)} s`);
  }
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /## The second start \(--warm\)/);
  const expectOutput = samples.find((s) => s.workload === 'script')!;
  assert.match(expectOutput.output_tail ?? '', /hello from a mounted file/);

  const csv = parse(readFileSync(join(dir, 'result.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(csv.length, 4 * 3);
  assert.deepEqual(Object.keys(csv[0]!), ['image', 'operation', ...MODES]);
  for (const row of csv) for (const m of MODES) assert.ok(Number(row[m]) > 0, `result.csv ${row.image}/${row.operation}/${m}`);
  // The report is built from these samples: its numbers must be a recomputation of them.
  for (const f of ['summary.csv', 'samples.csv', 'summary.md', 'report.html', 'startup.svg', 'startup.png', 'totals.svg', 'totals.png', 'daemons.svg', 'daemons.png', 'badge.svg']) {
    assert.ok(existsSync(join(dir, f)), `${f} written`);
  }
  const summary = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  for (const s of samples) {
    const row = summary.find((r) => r.image === s.workload && r.mode === s.mode && r.phase === 'total')!;
    assert.equal(Number(row.n), 1);
    assert.ok(Math.abs(Number(row.median) - s.total!) < 1e-6, `${s.workload}/${s.mode}: summary median ${row.median} vs sample ${s.total}`);
    const res = csv.find((r) => r.image === s.workload && r.operation === 'pull')!;
    assert.ok(Math.abs(Number(res[s.mode]) - s.phases.pull!) < 1e-6);
  }
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  assert.equal(meta.outcome, 'complete');
  // Each lazy image's own metadata (TOCs, bootstrap, SOCI index and ztocs), read from the registry.
  for (const i of meta.prepared) {
    if (i.mode === 'legacy') assert.equal(i.metadata, undefined);
    else assert.ok(i.metadata?.bytes > 0 && i.metadata.bytes < 0.05 * i.compressed_bytes, `${i.workload}/${i.mode}: ${JSON.stringify(i.metadata)}`);
  }
  // The machine was checked on its own before the round, and each sample's CPU of others is
  // the machine's less the lab's own cgroup (the lab spins the CPU in every sample: were it
  // counted as others', calm samples would be set aside).
  assert.equal(meta.machine.checks.length, 1);
  assert.ok(meta.machine.checks[0].canary_ms > 0 && meta.machine.checks[0].competing_cpu_pct !== undefined, JSON.stringify(meta.machine));
  assert.match(r.stderr, /^(machine before the first round: calm|warning: the machine is busy before the first round)/m);
  for (const s of samples) {
    assert.ok(s.machine!.competing_cpu_pct !== undefined, `${s.workload}/${s.mode}: ${JSON.stringify(s.machine)}`);
    assert.ok(['lab', 'machine'].includes(s.machine!.pressure_of!), `${s.workload}/${s.mode}: pressure of ${s.machine!.pressure_of}`);
  }
  const others = median(samples.map((s) => s.machine!.competing_cpu_pct!));
  assert.ok(others < 15, `median CPU of others ${others}%: the lab's own work is counted as others'`);
  // The default link (wan) was probed; legacy pulls cannot beat size / bandwidth + RTTs.
  assert.equal(meta.link.profile, 'wan');
  assert.ok(Math.abs(meta.link.measured.throughput_bps / 100e6 - 1) < 0.25, `throughput ${meta.link.measured.throughput_bps}`);
  assert.ok(Math.abs(meta.link.measured.rtt_ms / 20 - 1) < 0.25, `rtt ${meta.link.measured.rtt_ms}`);
  assert.ok(meta.link.measured.connect_ms >= 16 && meta.link.measured.connect_ms <= 30, `TCP connect ${meta.link.measured.connect_ms} ms`);
  for (const s of samples.filter((x) => x.mode === 'legacy')) {
    assert.ok(s.phases.pull! >= (s.image_bytes * 8) / 100e6, `${s.workload}: legacy pull ${s.phases.pull} s beats the link`);
    assert.ok(s.link_bytes! >= s.image_bytes, `${s.workload}: ${s.link_bytes} bytes crossed the link for a ${s.image_bytes}-byte image`);
  }
  const fid = await cli(['fidelity', dir]);
  assert.equal(fid.exitCode, 0, fid.all);
  assert.equal(meta.options.seed, 7);
  for (const t of ['containerd', 'ctr', 'runc', 'ctr-remote', 'containerd-stargz-grpc', 'soci-snapshotter-grpc', 'soci-index', 'containerd-nydus-grpc', 'nydusd', 'hellobench']) assert.ok(meta.versions[t], `version of ${t}`);
  assert.match(meta.versions.containerd, /containerd\/v2 2\./, 'containerd 2 is the default');
  assert.equal(meta.options.containerd, '2');
  assert.deepEqual(Object.keys(meta.systems).sort(), [...new Set(MODES.map((m) => modeByName(m).system.name))].sort());
  assert.match(r.stdout, /\|mode\|pull\(sec\)\|create\(sec\)\|run\(sec\)\|/);
  assert.deepEqual(leftovers(), []);
});

test('a catalogue of our own on containerd 1.6: other commands and wait lines; a wait line that never comes is a timeout and the run goes on', async () => {
  const dir = out('own');
  const r = await cli(['run', '--containerd', '1.6', '--workloads', 'test/fixtures/own.yaml', '--modes', 'legacy,estargz-noopt', '--samples', '1', '--keep-disturbed', '--out', dir]);
  assert.equal(r.exitCode, 1, 'not-ok samples make the exit code non-zero');
  // An image that cannot be built is named with its cause; the others still run.
  assert.match(r.stderr, /prepare no-such-app: FAILED: cannot resolve packages hellobench-no-such-package: Unable to locate package hellobench-no-such-package/);
  assert.match(r.stderr, /skipping no-such-app\/legacy: it was not prepared/);
  const samples = readSamples(dir);
  assert.equal(samples.length, 6);
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  assert.equal(meta.options.containerd, '1.6');
  assert.match(meta.versions.containerd, /Debian containerd 1\.6/);
  for (const s of samples.filter((x) => x.workload !== 'never-ready')) assert.equal(s.status, 'ok', `${s.workload}/${s.mode}: ${s.reason}`);
  const late = samples.find((s) => s.workload === 'late-server' && s.mode === 'legacy')!;
  assert.ok(late.phases.run! >= 1 && late.phases.run! < 10, `run phase ends at the wait line (${late.phases.run} s)`);
  for (const s of samples.filter((x) => x.workload === 'never-ready')) {
    assert.equal(s.status, 'timeout');
    assert.match(s.reason ?? '', /wait line "this line never comes" did not appear within 4s/);
  }
  assert.deepEqual(leftovers(), []);
});

test('a CPU hog beside the run: the samples it slowed are marked disturbed, set aside and taken again', async () => {
  const dir = out('disturbed');
  const child = cli(['run', '--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy,estargz', '--samples', '3', '--seed', '3', '--link', 'loopback', '--out', dir]);
  const file = join(dir, 'samples.jsonl');
  const count = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
  const deadline = Date.now() + 240_000;
  while (count() < 1 && Date.now() < deadline) await sleep(100);
  // Two busy loops on a 2-core machine, for about three samples.
  const hogs = [0, 1].map(() => execa(process.execPath, ['-e', 'for (;;);'], { reject: false }));
  const hogStart = Date.now();
  while (count() < 4 && Date.now() < deadline) await sleep(100);
  for (const h of hogs) h.kill('SIGKILL');
  const hogEnd = Date.now();
  await Promise.all(hogs);
  const r = await child;
  assert.equal(r.exitCode, 0, r.all);
  const samples = readSamples(dir);
  const under = samples.filter((s) => Date.parse(s.started_at) > hogStart && Date.parse(s.started_at) + s.total! * 1000 < hogEnd);
  assert.ok(under.length >= 1, 'some sample ran entirely under the hog');
  for (const s of under) assert.ok(s.disturbed, `${s.mode} round ${s.round + 1} under the hog is not marked: ${JSON.stringify(s.machine)}`);
  const disturbed = samples.filter((s) => s.disturbed);
  // A disturbed sample is taken again in its round, up to twice: each job ends calm or after three tries.
  for (const m of ['legacy', 'estargz']) {
    for (const round of [0, 1, 2]) {
      const tries = samples.filter((t) => t.mode === m && t.round === round);
      const calm = tries.filter((t) => !t.disturbed).length;
      assert.ok((calm === 1 && !tries.at(-1)!.disturbed) || (calm === 0 && tries.length === 3), `${m} round ${round + 1}: ${tries.map((t) => t.disturbed ?? 'calm').join(', ')}`);
    }
  }
  const summary = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  for (const m of ['legacy', 'estargz']) {
    const row = summary.find((x) => x.mode === m && x.phase === 'total')!;
    assert.equal(Number(row.set_aside), disturbed.filter((s) => s.mode === m).length);
    assert.equal(Number(row.n), samples.filter((s) => s.mode === m && !s.disturbed).length);
  }
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), new RegExp(`## Ok samples taken while the machine was disturbed \\(${disturbed.length} of ${samples.length}; set aside\\)`));
  assert.deepEqual(leftovers(), []);
});

test('--until-ci stops once every median is known to ±PCT, and names the cells that never were', async () => {
  const args = ['run', '--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy,estargz', '--link', 'loopback', '--samples', '2', '--seed', '5'];
  const easy = out('until-easy');
  const r = await cli([...args, '--until-ci', '60', '--out', easy]);
  assert.equal(r.exitCode, 0, r.all);
  const metaEasy = JSON.parse(readFileSync(join(easy, 'run.json'), 'utf8'));
  // Two calm rounds give every median within ±60%; a round whose every try was disturbed (a busy
  // CI runner) leaves a cell with one sample, and the run rightly goes on.
  assert.ok(metaEasy.rounds >= 2, `${metaEasy.rounds} rounds`);
  assert.deepEqual(metaEasy.unsure, []);
  assert.match(r.stderr, new RegExp(`--until-ci 60: every median's 95% interval is within ±60% after ${metaEasy.rounds} rounds`));

  const hard = out('until-hard');
  const h = await cli([...args, '--until-ci', '0.01', '--max-samples', '3', '--out', hard]);
  assert.equal(h.exitCode, 0, h.all);
  const meta = JSON.parse(readFileSync(join(hard, 'run.json'), 'utf8'));
  assert.equal(meta.rounds, 3, 'it went on to --max-samples');
  assert.deepEqual(meta.unsure.map((u: { mode: string }) => u.mode).sort(), ['estargz', 'legacy']);
  // Every round of every cell was taken; whether its tries were calm depends on the machine.
  const taken = readSamples(hard);
  for (const m of ['legacy', 'estargz']) {
    for (const round of [0, 1, 2]) assert.ok(taken.some((s) => s.mode === m && s.round === round), `${m} round ${round + 1} taken`);
  }
  assert.match(h.stderr, /--until-ci 0\.01: stopped at --max-samples 3; not within ±0\.01%: hello (legacy|estargz), hello (legacy|estargz)/);
  assert.match(readFileSync(join(hard, 'summary.md'), 'utf8'), /--until-ci 0\.01: after 3 rounds, not within ±0\.01%: hello/);
  assert.deepEqual(leftovers(), []);
});

test('Ctrl-C in the middle keeps finished samples and leaves no daemon, mount or directory', async () => {
  const dir = out('interrupted');
  const child = cli(['run', '--workloads', 'workloads/smoke.yaml', '--modes', 'legacy,estargz', '--samples', '5', '--out', dir], { detached: true });
  const file = join(dir, 'samples.jsonl');
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').filter(Boolean).length >= 2) break;
    await sleep(100);
  }
  await sleep(300); // land inside a sample, not between two
  process.kill(-child.pid!, 'SIGINT'); // the whole process group, as a terminal does
  const r = await child;
  assert.equal(r.exitCode, 130, r.all);
  const samples = readSamples(dir); // every line parses: nothing half-written
  assert.ok(samples.length >= 2 && samples.length < 40, `${samples.length} samples kept`);
  assert.match(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).outcome, /^interrupted/);
  assert.ok(existsSync(join(dir, 'result.csv')));
  assert.deepEqual(leftovers(), []);
});

test('the wan link delays packets: a fresh TCP connect to the registry takes one round trip, the direct path none', async () => {
  const link = resolveLink('wan');
  const lab = await Lab.open({ link });
  try {
    await lab.startRegistry();
    const through: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < 10; i++) {
      through.push(await connectMs(lab.registryHost));
      direct.push(await connectMs(lab.directHost));
    }
    // The handshake's SYN and SYN-ACK each wait half the RTT in the delay line.
    assert.ok(median(through) >= 16 && median(through) <= 30, `TCP connects through the link: ${through.map((t) => t.toFixed(1)).join(' ')} ms`);
    assert.ok(median(direct) < 5, `TCP connects on the direct path: ${direct.map((t) => t.toFixed(1)).join(' ')} ms`);
    const probe = await probeLink(lab.registryHost, lab.directHost, await pushProbeBlob(lab.directHost, probeSize(link)), link);
    assert.ok(probe.rtt_ms >= 16 && probe.rtt_ms <= 30, `probe RTT ${probe.rtt_ms} ms`);
    assert.ok(probe.connect_ms >= 16 && probe.connect_ms <= 30, `probe TCP connect ${probe.connect_ms} ms`);
    assert.ok(Math.abs(probe.throughput_bps / 100e6 - 1) < 0.25, `probe throughput ${probe.throughput_bps}`);
    assert.ok(lab.linkRxBytes()! >= probe.probe_bytes, 'the probe blob crossed the TUN pair');
  } finally {
    await lab.stop();
  }
  assert.deepEqual(leftovers(), []);
  assert.deepEqual(linkDevices(), []);
});

test('the delay line and devices of a killed lab are removed by the next lab', async () => {
  const dead = new NetNs(4_194_001); // no process has this PID: its lab is dead
  const line = execa(tool('delay-line'), ['--a', dead.hostTun, '--b', dead.nsTun, '--delay', '1ms'], { detached: true, reject: false });
  const deadline = Date.now() + 5000;
  while (linkDevices().length < 2 && Date.now() < deadline) await sleep(50);
  assert.deepEqual(linkDevices().sort(), [dead.hostTun, dead.nsTun].sort());
  await cleanStaleLabs();
  const r = await line;
  assert.equal(r.signal, 'SIGKILL');
  assert.deepEqual(linkDevices(), []);
  assert.deepEqual(leftovers(), []);
});

test('bad input: one clear line naming the file, field or component', async () => {
  const bad = await cli(['run', '--workloads', 'test/fixtures/bad.yaml']);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr.trim(), /^hellobench: test\/fixtures\/bad\.yaml:\d+:\d+: workloads\.0\.waitline: required for pattern cmd-arg-wait \(or give ready: \{ http: \.\.\. \}\)$/);
  const mode = await cli(['run', '--modes', 'legacy,turbo']);
  assert.equal(mode.exitCode, 2);
  assert.equal(mode.stderr.trim(), `hellobench: unknown mode "turbo": choose from ${MODE_NAMES.join(', ')}`);
  const ctrd = await cli(['run', '--containerd', '1.9']);
  assert.equal(ctrd.exitCode, 2);
  assert.equal(ctrd.stderr.trim(), 'hellobench: --containerd: unknown "1.9": choose from 2, 1.6');
  const alone = await cli(['run', '--max-samples', '9']);
  assert.equal(alone.exitCode, 2);
  assert.equal(alone.stderr.trim(), 'hellobench: --max-samples: only with --until-ci (without it, --samples is the number of samples)');
  const below = await cli(['run', '--until-ci', '5', '--samples', '5', '--max-samples', '3']);
  assert.equal(below.exitCode, 2);
  assert.equal(below.stderr.trim(), 'hellobench: --max-samples 3 is below --samples 5: --samples is where --until-ci starts');
  const order = await cli(['run', '--order', 'zigzag']);
  assert.equal(order.exitCode, 2);
  assert.equal(order.stderr.trim(), 'hellobench: --order: expected blocked or shuffled, got "zigzag"');
  const missing = await cli(['prepare', '--workloads', 'no/such.yaml']);
  assert.equal(missing.exitCode, 2);
  assert.match(missing.stderr.trim(), /^hellobench: no\/such\.yaml: cannot read the workload catalogue \(ENOENT\)/);
  assert.deepEqual(leftovers(), []);
});

test('a daemon left by a killed lab is stopped by the next lab, even when its directory is gone', async () => {
  const deadLab = 4_194_000; // no process has this PID: its lab is dead
  const orphan = execa(process.execPath, ['-e', 'setTimeout(() => {}, 120000)', `${LAB_BASE}/lab-${deadLab}/stargz/stargz.sock`], { detached: true, reject: false });
  await sleep(200);
  assert.notDeepEqual(leftovers(), [], 'the orphan looks like lab state');
  await cleanStaleLabs();
  const r = await orphan;
  assert.equal(r.signal, 'SIGKILL');
  assert.deepEqual(leftovers(), []);
});
