// The sampler against a fake system and a fake ctr: phases, checks and statuses, without root.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { MachineWatch } from '../../src/bench/machine.ts';
import { measureSample, type SampleLab } from '../../src/bench/sampler.ts';
import { parseCatalog } from '../../src/catalog/load.ts';
import { FetchLog } from '../../src/lab/fetchlog.ts';
import { ctrRuntime } from '../../src/runtimes/ctr.ts';
import type { LazyProof, Mode, SnapshotterSystem } from '../../src/systems/system.ts';

const fakeCtr = join(import.meta.dirname, '../support/fake-ctr.mjs');
const node = process.execPath;

function fakeSystem(over: Partial<SnapshotterSystem> = {}): SnapshotterSystem {
  return {
    name: 'fake', title: 'a fake system', tools: [], snapshotter: 'fake', modes: [], hostChecks: () => [],
    pullArgv: (_ctx, ref) => [node, '-e', `setTimeout(() => console.log(${JSON.stringify(ref)}), 60)`],
    lazyProof: (): LazyProof => ({ mounts: 2 }),
    ...over,
  };
}

function lab(dir: string): SampleLab {
  return { registryHost: 'reg.test:5000', sampleContext: () => ({ ctr: fakeCtr, ctrArgs: ['--address', 'x'], dir, cgroups: { driver: 'cgroupfs', systemdCgroup: false, parent: '/hellobench' }, labDir: dir, containerdSock: join(dir, 'sock') }), linkRxBytes: () => undefined };
}

const [hello, server] = parseCatalog(`workloads:
  - name: hello
    category: distro
    image: { ref: r/hello:1 }
    pattern: cmd-arg
    args: [echo, hello]
    expect: hello
    timeout: 5
  - name: server
    category: database
    image: { ref: r/server:1 }
    pattern: cmd-arg-wait
    args: [serve]
    waitline: ready to serve
    timeout: 2
`, 'fake.yaml');

async function sample(system: SnapshotterSystem, w = hello!) {
  const dir = mkdtempSync(join(tmpdir(), 'hb-sampler-'));
  const log = join(dir, 'registry.log');
  writeFileSync(log, '');
  const mode: Mode = { name: 'fake-mode', tag: 'fake', system, options: {} };
  return measureSample(lab(dir), ctrRuntime, new FetchLog(log), { workload: w, mode, image: { name: 'hb/hello:fake', compressed_bytes: 1000, layers: 2 }, round: 0, index: 3, seed: 9, runId: 'r' }, new MachineWatch());
}

afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('FAKE_CTR_')) delete process.env[k];
});

test('a sample through a fake system: every phase timed, the total their sum, the lazy proof kept', async () => {
  const s = await sample(fakeSystem());
  assert.equal(s.status, 'ok', s.reason);
  assert.equal(s.mode, 'fake-mode');
  assert.ok(s.phases.pull! >= 0.06, `pull ${s.phases.pull} s covers the fake pull's 60 ms`);
  assert.ok(s.phases.create! > 0 && s.phases.run! >= 0.02);
  assert.ok(Math.abs(s.total! - (s.phases.pull! + s.phases.create! + s.phases.run!)) < 1e-9);
  assert.equal(s.lazy_mounts, 2);
  assert.match(s.output_tail ?? '', /hello/);
  assert.equal(s.index, 3);
  assert.ok(s.machine && s.machine.canary_ms > 0, 'the machine figures of the sample window are kept');
});

test("a lazy system whose proof fails makes the sample invalid, never fast", async () => {
  const s = await sample(fakeSystem({ lazyProof: () => ({ mounts: 0, problem: 'no layer was mounted lazily' }) }));
  assert.equal(s.status, 'invalid');
  assert.equal(s.reason, 'pull: no layer was mounted lazily');
  assert.ok(s.total! > 0, 'an invalid sample keeps its phases for inspection');
});

test('a pull that fails is recorded with its reason and no later phase', async () => {
  const s = await sample(fakeSystem({ pullArgv: () => [node, '-e', 'console.error("registry said no"); process.exit(4)'] }));
  assert.equal(s.status, 'failed');
  assert.match(s.reason ?? '', /^pull: node pull exited 4: registry said no$/);
  assert.equal(s.phases.create, undefined);
  assert.equal(s.total, undefined);
});

test('the run phase checks exit code and expected output', async () => {
  process.env.FAKE_CTR_OUTPUT = 'goodbye';
  const s = await sample(fakeSystem());
  assert.equal(s.status, 'failed');
  assert.match(s.reason ?? '', /run: output lacks the expected "hello"/);
  process.env.FAKE_CTR_OUTPUT = 'hello';
  process.env.FAKE_CTR_EXIT = '3';
  const t = await sample(fakeSystem());
  assert.match(t.reason ?? '', /run: task exited 3/);
});

test('a wait line ends the run phase; one that never comes is a timeout', async () => {
  process.env.FAKE_CTR_OUTPUT = 'server: ready to serve';
  process.env.FAKE_CTR_HANG = '1';
  const s = await sample(fakeSystem(), server);
  assert.equal(s.status, 'ok', s.reason);
  assert.ok(s.phases.run! < 1.5, `run ends at the wait line (${s.phases.run} s)`);
  process.env.FAKE_CTR_OUTPUT = 'still starting';
  const t = await sample(fakeSystem(), server);
  assert.equal(t.status, 'timeout');
  assert.match(t.reason ?? '', /wait line "ready to serve" did not appear within 2s/);
});

/** What containerd 2.4's ctr prints on its stderr at every call on a cgroup v1 host (no tty). */
const CTR_WARNING = 'time="2026-12-07T10:41:07Z" level=warning msg="DEPRECATION: The support for cgroup v1 is deprecated since containerd v2.2 and will be removed by no later than May 2029. Upgrade the host to use cgroup v2."';

test("ctr's own warning on stderr stays out of the recorded output and of expect; the container's stderr stays in the tail", async () => {
  process.env.FAKE_CTR_STDERR = `${CTR_WARNING}\nWARN[0000] the same, printed to a tty\ncontainer: a line on stderr`;
  const s = await sample(fakeSystem());
  assert.equal(s.status, 'ok', s.reason);
  assert.equal(s.output_tail, 'container: a line on stderr\nhello');
  // expect reads the workload's stdout: the expected text on stderr alone does not count.
  process.env.FAKE_CTR_STDERR = 'hello';
  process.env.FAKE_CTR_OUTPUT = 'goodbye';
  const t = await sample(fakeSystem());
  assert.equal(t.status, 'failed');
  assert.match(t.reason ?? '', /run: output lacks the expected "hello"/);
});

test('a wait line on the container\'s stderr counts (postgres logs there); one inside ctr\'s warning does not', async () => {
  process.env.FAKE_CTR_STDERR = `${CTR_WARNING}\ndb: ready to serve`;
  process.env.FAKE_CTR_OUTPUT = 'nothing on stdout';
  process.env.FAKE_CTR_HANG = '1';
  const s = await sample(fakeSystem(), server);
  assert.equal(s.status, 'ok', s.reason);
  assert.doesNotMatch(s.output_tail ?? '', /DEPRECATION/);
  process.env.FAKE_CTR_STDERR = 'time="2026-12-07T10:41:07Z" level=warning msg="ready to serve"';
  const t = await sample(fakeSystem(), server);
  assert.equal(t.status, 'timeout', 'a client warning is never the workload\'s wait line');
});
