// The seams hold: outside src/systems/ and src/runtimes/ no code names a system, a mode or a
// runtime; it reaches them through their tables. A fake system and a fake runtime, declared in
// this file alone, go through the scheduler, the sampler and the reports.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { MachineWatch } from '../../src/bench/machine.ts';
import { measureSample, type SampleLab } from '../../src/bench/sampler.ts';
import { runSchedule, type SchedulePlan } from '../../src/bench/schedule.ts';
import { parseCatalog } from '../../src/catalog/load.ts';
import { FetchLog } from '../../src/lab/fetchlog.ts';
import { samplesCsv } from '../../src/report/csv.ts';
import type { Sample } from '../../src/results/sample.ts';
import { RUNTIMES } from '../../src/runtimes/index.ts';
import type { ContainerRuntime } from '../../src/runtimes/runtime.ts';
import { summarize } from '../../src/stats/summary.ts';
import { MODES, SYSTEMS } from '../../src/systems/index.ts';
import type { Mode, SnapshotterSystem } from '../../src/systems/system.ts';

const SRC = join(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** A file's code without its comments (the names may be spoken of; only code may not use them). */
const code = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

/**
 * Where a runtime's name may stand outside src/runtimes/, each for its own reason: `ctr` is also
 * containerd's client binary (the lab's tool table, its containerd builds, their versions), and
 * run.json's schema says once what runs from before --runtime used.
 */
const ALLOWED = [
  "src/lab/tools.ts:  'ctr': {",
  "src/lab/containerd.ts:  '1.6': { id: '1.6', label: \"Debian's containerd 1.6\", containerd: 'containerd', ctr: 'ctr',",
  "src/bench/provenance.ts:  const tools: [string, Tool | LabToolName][] = [['containerd', containerd.containerd], ['ctr', containerd.ctr],",
  "src/results/metadata.ts:  runtime: z.string().default('ctr'),",
];

test('no code outside src/systems/ and src/runtimes/ names a system, a mode or a runtime', () => {
  // The baseline's system is named for the kernel's filesystem, which the lab itself mounts.
  const lazy = SYSTEMS.filter((s) => !s.modes.some((m) => m.baseline)).map((s) => s.name);
  const systemWords = new RegExp(`\\b(${[...lazy, 'estargz'].join('|')})\\b`, 'i');
  const literal = new RegExp(`['"\`](${[...MODES.map((m) => m.name), ...RUNTIMES.map((r) => r.name)].join('|')})['"\`]`);
  const found: string[] = [];
  for (const file of files(SRC)) {
    const rel = relative(join(SRC, '..'), file);
    if (rel.startsWith('src/systems/') || rel.startsWith('src/runtimes/')) continue;
    for (const line of code(file).split('\n')) {
      if (systemWords.test(line) || literal.test(line)) found.push(`${rel}:${line}`);
    }
  }
  const unexpected = found.filter((f) => !ALLOWED.some((a) => f.startsWith(a)));
  assert.deepEqual(unexpected, [], 'names outside the seams');
});

// ---- a system and a runtime hellobench has never heard of --------------------------------

const node = process.execPath;
const fakeSystem: SnapshotterSystem = {
  name: 'fakefs', title: 'a fake lazy system', tools: [], snapshotter: 'fakefs', hostChecks: () => [],
  get modes() { return [fakeMode]; },
  pullArgv: (_ctx, ref) => [node, '-e', `console.log(${JSON.stringify(ref)})`],
  lazyProof: () => ({ mounts: 1 }),
};
const fakeMode: Mode = { name: 'fake-lazy', tag: 'fake', system: fakeSystem, options: {} };

/** Containers the fake runtime was asked to end (before a warm start). */
const ended: string[] = [];

/** Two phases no real runtime has: the reports must follow them; a warm start repeats `boot`. */
const fakeRuntime: ContainerRuntime = {
  name: 'fakert', title: 'a fake runtime', subject: 'fake things', phases: ['fetch', 'boot'], warmPhases: ['boot'], tools: [],
  end: async (_ctx, s) => { ended.push(s.id); },
  steps: (ctx, s) => [
    { phase: 'fetch', run: async () => ({ seconds: 0.01, exitCode: 0, timedOut: false, output: '', stdout: '' }) },
    { phase: 'boot', run: async () => ({ seconds: 0.02, exitCode: 0, timedOut: false, output: `${s.workload.name} in ${ctx.dir}`, stdout: '' }) },
  ],
};

const [hello] = parseCatalog(`workloads:
  - name: hello
    category: distro
    image: { ref: r/hello:1 }
    pattern: cmd-arg
    args: [echo, hello]
    timeout: 5
`, 'fake.yaml');

test('a fake system and runtime, declared here alone, go through the scheduler, the sampler and the reports', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-seams-'));
  const log = join(dir, 'registry.log');
  writeFileSync(log, '');
  const lab: SampleLab = {
    registryHost: 'reg.test:5000', linkRxBytes: () => undefined,
    sampleContext: () => ({ ctr: 'ctr', ctrArgs: [], dir, cgroups: { driver: 'cgroupfs', systemdCgroup: false, parent: '/hellobench' }, labDir: dir, containerdSock: join(dir, 'sock') }),
  };
  const watch = new MachineWatch();
  const plan: SchedulePlan = {
    workloads: [hello!], modes: [fakeMode], seed: 3, order: 'shuffled', runId: 'r', minRounds: 3, maxRounds: 3, keepDisturbed: true,
    imageOf: () => ({ name: 'hb/hello:fake', compressed_bytes: 1000, layers: 1 }),
  };
  const samples: Sample[] = [];
  await runSchedule(plan, samples, {
    take: (job) => measureSample(lab, fakeRuntime, new FetchLog(log), { ...job, warm: true }, watch), taken: () => {}, log: () => {}, aborted: () => false,
  });
  assert.equal(samples.length, 3);
  for (const s of samples) {
    assert.equal(s.status, 'ok', s.reason);
    assert.deepEqual(Object.keys(s.phases), ['fetch', 'boot']);
    assert.ok(Math.abs(s.total! - 0.03) < 1e-9, 'the total is the sum of the runtime\'s own phases');
    // --warm: the cold container ended, then the runtime's warm phases alone, under another id.
    assert.deepEqual(s.warm && { status: s.warm.status, phases: Object.keys(s.warm.phases), total: s.warm.total }, { status: 'ok', phases: ['boot'], total: 0.02 });
  }
  assert.deepEqual(ended, samples.map((s) => `hb-${s.index}-hello`));
  const summary = summarize(samples, { percentile: 95, seed: 1, phases: fakeRuntime.phases });
  assert.deepEqual(summary.phases, ['fetch', 'boot']);
  assert.deepEqual(Object.keys(summary.cells[0]!.stats), ['fetch', 'boot', 'total', 'warm']);
  // Old or unknown runtimes: the phases come from the samples, in the order they ran.
  assert.deepEqual(summarize(samples, { percentile: 95, seed: 1 }).phases, ['fetch', 'boot']);
  const header = samplesCsv(samples, summary.phases).split('\n')[0]!.split(',');
  assert.ok(['fetch', 'boot', 'fetched_fetch', 'fetched_boot', 'warm_boot', 'warm_total'].every((c) => header.includes(c)), header.join(','));
  assert.ok(!header.includes('warm_fetch'), 'a warm start has only the phases it repeated');
  assert.ok(!header.includes('pull') && !header.includes('sandbox'), 'no column for a phase the runtime lacks');
});
