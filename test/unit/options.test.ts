import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliOptionsOf, failedAllowed, resolveRun, type RunCliOptions } from '../../src/commands/run-options.ts';
import { shardOf } from '../../src/commands/shard.ts';
import { UsageError } from '../../src/commands/errors.ts';
import { jobDone } from '../../src/bench/resume.ts';
import type { Sample } from '../../src/results/sample.ts';
import { buildProgram } from '../../src/program.ts';
import { OPTION_FLAGS, repeatArgs, RunMetaSchema, shellQuote, type RunOptions } from '../../src/results/metadata.ts';

/** What `hellobench run ARGS` resolves to, parsed by the real command line. */
async function resolved(args: string[]): Promise<RunOptions> {
  const program = buildProgram().exitOverride();
  let got: RunCliOptions | undefined;
  program.commands.find((c) => c.name() === 'run')!.action((opts: RunCliOptions) => { got = opts; });
  await program.parseAsync(['node', 'hellobench', 'run', ...args]);
  return resolveRun(got!).options;
}

test('the command a report prints repeats the run: every recorded option comes back the same', async () => {
  const runs = [
    ['--workloads', 'workloads/smoke.yaml', '--seed', '4'],
    ['--workloads', 'workloads/smoke.yaml', '--only', 'hello,server', '--modes', 'legacy,estargz', '--samples', '3', '--seed', '9', '--link', 'wan',
      '--bandwidth', '50mbit', '--rtt', '30ms', '--containerd', '1.6', '--order', 'blocked', '--until-ci', '5', '--max-samples', '8', '--keep-disturbed', '--warm', '--after-ready', '--percentile', '90', '--allow-outside-mounts'],
    ['--workloads', 'workloads/debian.yaml', '--category', 'language', '--source-registry', 'mirror.example/library', '--seed', '2', '--shard', '2/3'],
    ['--workloads', 'workloads/debian.yaml', '--only', 'node-demo', '--runtime', 'cri', '--seed', '3'],
  ];
  for (const args of runs) {
    const first = await resolved(args);
    const again = repeatArgs(first);
    assert.equal(again[0], 'scripts/bench.sh');
    assert.deepEqual(await resolved(again.slice(1)), first, again.join(' '));
    // --resume rebuilds the same options from run.json.
    assert.deepEqual(resolveRun(cliOptionsOf(first, 'results/x')).options, first, `resume of ${args.join(' ')}`);
  }
  // Every option that changes the plan has its flag.
  const recorded = new Set<string>([...OPTION_FLAGS.map(([k]) => k), 'modes', 'keep_disturbed', 'warm', 'after_ready', 'allow_outside_mounts', 'shard', 'workload_names']);
  for (const key of Object.keys(RunMetaSchema.shape.options.shape)) assert.ok(recorded.has(key), `option ${key} has no flag in repeatArgs`);
  // CRI is driven on containerd 2's config only: refused before any lab starts.
  await assert.rejects(resolved(['--workloads', 'workloads/smoke.yaml', '--runtime', 'cri', '--containerd', '1.6']), /--runtime cri: needs --containerd 2/);
  await assert.rejects(resolved(['--workloads', 'workloads/smoke.yaml', '--runtime', 'kubelet']), /--runtime: unknown "kubelet": choose from ctr, cri/);
  assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
  assert.equal(shellQuote('a/b-c_d.yaml'), 'a/b-c_d.yaml');
});

test('shards: every image on exactly one shard, all its modes with it; bad shards are usage errors', async () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  for (const n of [1, 2, 3, 5]) {
    const all = Array.from({ length: n }, (_, i) => shardOf(names, i + 1, n)).flat();
    assert.deepEqual([...all].sort(), names, `${n} shards`);
  }
  const s = await resolved(['--workloads', 'workloads/smoke.yaml', '--seed', '1', '--shard', '2/2', '--modes', 'legacy,nydus']);
  assert.deepEqual(s.shard, { index: 2, count: 2, of: ['hello', 'checksum', 'server', 'script'] });
  assert.deepEqual(s.workload_names, ['checksum', 'script']);
  assert.deepEqual(s.modes, ['legacy', 'nydus']);
  for (const [shard, msg] of [['3/2', /--shard: expected i\/n/], ['0/2', /--shard: expected i\/n/], ['x', /--shard: expected i\/n/], ['1/9', /at most 4 shards/]] as const) {
    await assert.rejects(resolved(['--workloads', 'workloads/smoke.yaml', '--seed', '1', '--shard', shard]), (e: Error) => e instanceof UsageError && msg.test(e.message), shard);
  }
  await assert.rejects(resolved(['--workloads', 'workloads/smoke.yaml', '--shard', '1/2']), /--shard: give --seed too/);
});

test('a resumed job is done once it has a sample that counts or was tried as often as a run tries', () => {
  const t = (status: Sample['status'], disturbed?: string) => ({ status, ...(disturbed ? { disturbed } : {}) }) as Sample;
  assert.equal(jobDone([], false, 3), false);
  assert.equal(jobDone([t('ok')], false, 3), true);
  assert.equal(jobDone([t('failed')], false, 3), true, 'a failure is a result');
  assert.equal(jobDone([t('ok', 'steal')], false, 3), false, 'a disturbed try is re-taken');
  assert.equal(jobDone([t('ok', 'steal')], true, 3), true, 'unless disturbed samples are kept');
  assert.equal(jobDone([t('ok', 'a'), t('ok', 'b'), t('ok', 'c')], false, 3), true, 'three tries are all a run takes');
});

test('--max-failed: a count or a share of the samples; anything else is refused before a lab starts', () => {
  assert.equal(failedAllowed(undefined, 40), 0, 'by default any failed sample fails the run');
  assert.equal(failedAllowed('0', 40), 0);
  assert.equal(failedAllowed('3', 40), 3);
  assert.equal(failedAllowed('10%', 40), 4);
  assert.equal(failedAllowed('10%', 39), 3, 'a share rounds down');
  assert.equal(failedAllowed('100%', 7), 7);
  for (const bad of ['-1', '1.5', 'ten', '150%', '5 %x']) assert.throws(() => failedAllowed(bad, 10), UsageError, bad);
  assert.throws(() => resolveRun({ workloads: 'workloads/smoke.yaml', modes: 'legacy', samples: '1', link: 'loopback', percentile: '95', runtime: 'ctr', order: 'shuffled', containerd: '2', maxFailed: 'lots' } as RunCliOptions), /--max-failed/);
});
