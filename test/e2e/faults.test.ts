// Interruptions, faults and concurrency on the real lab: nothing lost, nothing left behind.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { REGISTRY_STORE } from '../../src/paths.ts';
import { loadSamples } from '../../src/results/store.ts';
import { readMeta } from '../../src/results/metadata.ts';
import { prng } from '../../src/util/random.ts';
import { cli, commandLines, LAB_BASE, leftovers, readSamples } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hellobench-faults-'));

before(() => assert.deepEqual(leftovers(), [], 'a previous run left lab state behind'));

test('a second run or prepare beside a running one refuses, naming the first one\'s PID; the first is unharmed', async () => {
  const dir = join(tmp, 'first');
  const first = cli(['run', '--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy', '--samples', '8', '--link', 'loopback', '--out', dir]);
  const deadline = Date.now() + 120_000;
  while (!existsSync(join(LAB_BASE, `lab-${first.pid}`)) && Date.now() < deadline) await sleep(100);
  for (const args of [['run', '--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy', '--samples', '1', '--link', 'loopback', '--out', join(tmp, 'second')],
    ['prepare', '--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy']]) {
    const second = await cli(args);
    assert.equal(second.exitCode, 2, second.all);
    assert.equal(second.stderr.trim().split('\n').length, 1, `one line: ${second.stderr}`);
    assert.match(second.stderr, new RegExp(`^hellobench: another hellobench \\(pid ${first.pid}\\) runs a lab on this machine; .*kill -INT ${first.pid}$`));
    assert.ok(!existsSync(join(tmp, 'second')), 'the refused run wrote nothing');
  }
  const r = await first;
  assert.equal(r.exitCode, 0, r.all);
  assert.ok(readSamples(dir).filter((s) => s.status === 'ok').length >= 8, 'the first run took all its samples');
  assert.ok(!existsSync(join(LAB_BASE, 'lock')), 'the lock goes with its lab');
  assert.deepEqual(leftovers(), []);
});

test('exposure: nothing of the lab listens beyond loopback in the host\'s namespace; its state is root\'s alone', async () => {
  const dir = join(tmp, 'exposed');
  const run = cli(['run', '--workloads', 'workloads/smoke.yaml', '--only', 'server', '--modes', 'legacy,estargz', '--samples', '2', '--link', 'wan', '--out', dir]);
  const file = join(dir, 'samples.jsonl');
  const deadline = Date.now() + 180_000;
  while (!(existsSync(file) && readFileSync(file, 'utf8').length > 0) && Date.now() < deadline) await sleep(200);
  const lab = join(LAB_BASE, `lab-${run.pid}`);
  // Every listening TCP socket of a lab process (hellobench, its daemons, the delay line).
  const labPids = new Set([run.pid!, ...commandLines().filter(([, cmd]) => cmd.includes(lab)).map(([pid]) => pid)]);
  const ss = await execa('ss', ['-Hltnp']);
  const open = ss.stdout.split('\n').filter((l) => [...l.matchAll(/pid=(\d+)/g)].some((m) => labPids.has(Number(m[1]))))
    .map((l) => l.trim().split(/\s+/)[3]!).filter((addr) => !/^(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/.test(addr));
  assert.deepEqual(open, [], `lab sockets listening beyond loopback: ${open.join(', ')}`);
  for (const d of [LAB_BASE, lab, REGISTRY_STORE]) assert.equal(statSync(d).mode & 0o777, 0o700, `${d} is ${(statSync(d).mode & 0o777).toString(8)}`);
  run.kill('SIGINT');
  const r = await run;
  assert.equal(r.exitCode, 130, r.all);
  assert.deepEqual(leftovers(), []);
});

test('--resume takes only the samples an interrupted run lacks, and refuses a changed plan or a finished run', async () => {
  const plan = ['--workloads', 'workloads/smoke.yaml', '--only', 'hello,checksum', '--modes', 'legacy,estargz', '--samples', '2', '--seed', '5', '--link', 'loopback', '--keep-disturbed'];
  const dir = join(tmp, 'resumed');
  const run = cli(['run', ...plan, '--out', dir]);
  const file = join(dir, 'samples.jsonl');
  const deadline = Date.now() + 180_000;
  while ((existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0) < 3 && Date.now() < deadline) await sleep(100);
  run.kill('SIGINT');
  assert.equal((await run).exitCode, 130);
  const kept = readFileSync(file, 'utf8');
  assert.match(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).outcome, /^interrupted/);
  // Run again into the same directory without --resume: refused, nothing appended.
  const again = await cli(['run', ...plan, '--out', dir]);
  assert.equal(again.exitCode, 2, again.all);
  assert.match(again.stderr, /holds the samples of another run; go on with it with --resume/);

  // A changed catalogue or changed images: refused before any sample.
  for (const [what, tamper, why] of [
    ['catalogue', (m: Record<string, unknown>) => { m.workloads_hash = '0000000000000000'; }, /the workloads of workloads\/smoke\.yaml changed/],
    ['images', (m: Record<string, unknown>) => { (m.prepared as { name: string }[])[0]!.name += '-old'; }, /is now hellobench\/\S+, not hellobench\/\S+-old \(the images were prepared anew since\)/],
  ] as const) {
    const copy = join(tmp, `resume-${what}`);
    cpSync(dir, copy, { recursive: true });
    const meta = JSON.parse(readFileSync(join(copy, 'run.json'), 'utf8'));
    tamper(meta);
    writeFileSync(join(copy, 'run.json'), JSON.stringify(meta));
    const r = await cli(['run', '--resume', copy]);
    assert.equal(r.exitCode, 2, r.all);
    assert.match(r.stderr, why);
    assert.equal(readFileSync(join(copy, 'samples.jsonl'), 'utf8'), kept, 'nothing taken');
    assert.deepEqual(JSON.parse(readFileSync(join(copy, 'run.json'), 'utf8')), meta, 'run.json as it was');
  }

  const r = await cli(['run', '--resume', dir]);
  assert.equal(r.exitCode, 0, r.all);
  assert.ok(readFileSync(file, 'utf8').startsWith(kept), 'the kept samples stay as they were');
  const samples = readSamples(dir);
  const jobs = samples.map((s) => `${s.workload} ${s.mode} ${s.round}`);
  assert.equal(new Set(jobs).size, 8, 'every planned sample');
  assert.equal(jobs.length, 8, 'none twice');
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  assert.equal(meta.outcome, 'complete');
  assert.equal(meta.resumed_at.length, 1);
  // The same plan uninterrupted: the same report in shape and sample count.
  const whole = join(tmp, 'uninterrupted');
  assert.equal((await cli(['run', ...plan, '--out', whole])).exitCode, 0);
  const shape = (d: string) => readFileSync(join(d, 'summary.csv'), 'utf8').split('\n').map((l) => l.split(',').slice(0, 5).join(','));
  assert.deepEqual(shape(dir), shape(whole));
  const finished = await cli(['run', '--resume', dir]);
  assert.equal(finished.exitCode, 2);
  assert.match(finished.stderr, /the run is complete; nothing to resume/);
  assert.deepEqual(leftovers(), []);
});

/** Resolves with the first live process of `lab` whose argv matches `re` (polled every 5 ms). */
async function processOf(lab: string, re: RegExp, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = commandLines().find(([, cmd]) => cmd.includes(lab) && re.test(cmd));
    if (found) return found[0];
    await sleep(5);
  }
  throw new Error(`no process matching ${re} in ${lab}`);
}

/** SIGKILL to the lab daemon `name`, by the PID the lab recorded for it. */
function killDaemon(lab: string, name: string): number {
  const find = (dir: string): string | undefined => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isFile() && e.name === `${name}.pid`) return p;
      if (e.isDirectory()) { const f = find(p); if (f) return f; }
    }
    return undefined;
  };
  const file = find(lab);
  assert.ok(file, `no PID record of ${name} in ${lab}`);
  const { pid } = JSON.parse(readFileSync(file, 'utf8')) as { pid: number };
  process.kill(pid, 'SIGKILL');
  return pid;
}

test('daemons killed under a sample: the snapshotter during a lazy pull, containerd during create, the registry during a pull; each sample fails with its reason and the run goes on', async () => {
  const dir = join(tmp, 'killed');
  const run = cli(['run', '--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy,estargz-noopt', '--samples', '4', '--seed', '2', '--link', 'loopback', '--keep-disturbed', '--out', dir]);
  const lab = join(LAB_BASE, `lab-${run.pid}`);
  await processOf(lab, / rpull /);
  killDaemon(lab, 'stargz');
  await processOf(lab, / container create /);
  killDaemon(lab, 'containerd');
  await processOf(lab, / image (r?pull) /);
  killDaemon(lab, 'registry');
  const r = await run;
  assert.equal(r.exitCode, 1, 'not-ok samples make the exit code 1');
  const samples = readSamples(dir);
  assert.equal(samples.length, 8, 'every planned sample, none lost');
  const failed = samples.filter((s) => s.status !== 'ok');
  assert.equal(failed.length, 3, failed.map((s) => `${s.mode} ${s.status}: ${s.reason}`).join('; '));
  assert.match(failed[0]!.reason!, /^pull: /);
  assert.match(failed[1]!.reason!, /^(create|run): /);
  assert.match(failed[2]!.reason!, /^pull: /);
  assert.ok(samples.slice(samples.indexOf(failed[2]!) + 1).every((s) => s.status === 'ok'), 'the samples after the faults are ok: the lab restarted what died');
  assert.match(r.stderr, /registry had exited .*: starting it again/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).outcome, 'complete');
  assert.deepEqual(leftovers(), []);
});

test('a container that exits non-zero is a failed sample with its exit code; a full results filesystem stops the run in one line, keeping what was written', async () => {
  const cat = join(tmp, 'exits.yaml');
  writeFileSync(cat, `workloads:
  - name: exits
    category: other
    image: { build: { base: busybox, layers: [{ files: [{ path: /x.bin, size: 1MiB }] }] } }
    pattern: cmd-arg
    args: [sh, -c, "echo going; exit 3"]
`);
  const dir = join(tmp, 'exits');
  const r = await cli(['run', '--workloads', cat, '--modes', 'legacy', '--samples', '1', '--link', 'loopback', '--keep-disturbed', '--out', dir]);
  assert.equal(r.exitCode, 1, r.all);
  const [s] = readSamples(dir);
  assert.equal(s!.status, 'failed');
  assert.equal(s!.reason, "run: task exited 3: going");

  // A 16 KiB filesystem: the first samples fit, then one does not.
  const full = join(tmp, 'full');
  mkdirSync(full);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'hellobench-test-full', full]);
  try {
    const f = await cli(['run', '--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy', '--samples', '30', '--link', 'loopback', '--keep-disturbed', '--out', join(full, 'r')]);
    assert.equal(f.exitCode, 2, f.all);
    const last = f.stderr.trim().split('\n').at(-1)!;
    assert.match(last, /^hellobench: \S+samples\.jsonl: cannot write a sample \(ENOSPC\); the samples before it are kept: free space or choose another --out, then go on with --resume /);
    const { samples: kept, skipped } = loadSamples(join(full, 'r'));
    assert.ok(skipped.length <= 1, 'at most the torn last line');
    assert.ok(kept.length >= 1 && kept.every((x) => x.status === 'ok'), `${kept.length} samples kept`);
    assert.deepEqual(leftovers(), []);
  } finally {
    await execa('umount', [full]);
  }
});

test('SIGINT and SIGTERM at ten seeded moments of prepare and run (a conversion, the link probe among them): nothing left, what was kept parses, the next run works', async () => {
  const rand = prng(20261129);
  // A new image each time, so that every run builds and converts (the cache would skip both).
  const catalogue = (i: number) => {
    const file = join(tmp, `interrupt-${i}.yaml`);
    writeFileSync(file, `workloads:
  - name: interrupt-${i}
    category: other
    image: { build: { base: busybox, layers: [{ files: [{ path: /data/${i}-${Math.floor(rand() * 1e9)}.bin, size: 2MiB }] }] } }
    pattern: cmd-arg
    args: [sh, -c, "cat /data/*.bin >/dev/null && echo hello"]
    expect: hello
`);
    return file;
  };
  const points: { name: string; signal: 'SIGINT' | 'SIGTERM'; when: (run: ReturnType<typeof cli>, lab: string) => Promise<void> }[] = [
    { name: 'during a conversion', signal: 'SIGINT', when: async (_, lab) => { await processOf(lab, / image optimize /); } },
    { name: 'during a conversion', signal: 'SIGTERM', when: async (_, lab) => { await processOf(lab, / image optimize /); } },
    { name: 'during the link probe', signal: 'SIGINT', when: (run) => lineOf(run, /^prepared \d+ images/) },
    { name: 'during the link probe', signal: 'SIGTERM', when: (run) => lineOf(run, /^prepared \d+ images/) },
  ];
  for (let k = 0; points.length < 10; k++) {
    const ms = Math.floor(300 + rand() * 14_000);
    points.push({ name: `${ms} ms after the start`, signal: k % 2 ? 'SIGTERM' : 'SIGINT', when: () => sleep(ms) });
  }
  let interrupted = 0;
  for (const [i, p] of points.entries()) {
    const dir = join(tmp, `interrupt-${i}`);
    const run = cli(['run', '--workloads', catalogue(i), '--modes', 'legacy,estargz', '--samples', '4', '--link', 'wan', '--keep-disturbed', '--out', dir]);
    const lab = join(LAB_BASE, `lab-${run.pid}`);
    const finished = await Promise.race([p.when(run, lab).then(() => false), run.then(() => true)]);
    if (!finished) {
      run.kill(p.signal);
      interrupted++;
    }
    const r = await run;
    const what = `${p.signal} ${p.name}: exit ${r.exitCode ?? r.signal}`;
    assert.deepEqual(leftovers(), [], what);
    if (!existsSync(join(dir, 'run.json'))) {
      // Before the lab was up: the signal's default action, and nothing written.
      assert.equal(r.signal, p.signal, `${what}\n${r.all}`);
      assert.ok(!existsSync(dir), what);
      continue;
    }
    if (!finished) assert.equal(r.exitCode, p.signal === 'SIGINT' ? 130 : 143, `${what}\n${r.all}`);
    const meta = readMeta(join(dir, 'run.json'));
    assert.match(meta.outcome, finished ? /^complete$/ : new RegExp(`^interrupted: (interrupted \\(SIGINT\\)|terminated \\(SIGTERM\\))$`), what);
    if (existsSync(join(dir, 'samples.jsonl'))) assert.deepEqual(loadSamples(dir).skipped, [], `${what}: samples.jsonl parses`);
  }
  assert.ok(interrupted >= 8, `${interrupted} of 10 runs were interrupted; the others ended first`);
  // The next run works on what the interrupted ones left (registry store, caches, lock).
  const after = await cli(['run', '--workloads', catalogue(0), '--modes', 'legacy,estargz', '--samples', '1', '--link', 'loopback', '--out', join(tmp, 'after')]);
  assert.equal(after.exitCode, 0, after.all);
  assert.deepEqual(leftovers(), []);
});

/** Resolves when the run prints a line matching `re` on stderr. */
function lineOf(run: ReturnType<typeof cli>, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let buf = '';
    run.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.split('\n').some((l) => re.test(l))) resolve();
    });
  });
}
