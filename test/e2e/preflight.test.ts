// The preflight on the real machine, as root: it passes here, in seconds, and leaves nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { hostCgroups } from '../../src/lab/cgroups.ts';
import { mountsUnder } from '../../src/lab/mounts.ts';
import { LAB_BASE, ROOT } from './helpers.ts';

const SELECTION = ['--workloads', 'workloads/smoke.yaml', '--only', 'hello', '--modes', 'legacy'];

function preflight(env: Record<string, string> = {}) {
  return execa(join(ROOT, 'bin/hellobench'), ['preflight', ...SELECTION], { reject: false, all: true, cwd: ROOT, env });
}

/** What a preflight could leave: namespaces, mounts, entries of the state directory, child cgroups. */
async function traces(): Promise<{ netns: string; mounts: string[]; state: string[]; cgroups: string[] }> {
  const layout = hostCgroups();
  const dirs = layout.mode === 'v2' ? [layout.root] : ['cpu', 'memory', 'pids'].map((c) => join(layout.root, c));
  return {
    netns: (await execa('ip', ['netns', 'list'])).stdout,
    // iproute2 makes /run/netns a mount point of its own the first time any namespace is made
    // on a machine, and keeps it for every later one: not the preflight's to remove.
    mounts: readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1] !== '/run/netns'),
    state: existsSync(LAB_BASE) ? readdirSync(LAB_BASE).filter((d) => d !== 'lock').sort() : [],
    cgroups: dirs.flatMap((d) => readdirSync(d).filter((n) => n.startsWith('hellobench-preflight-')).map((n) => join(d, n))),
  };
}

test('the real preflight passes here in seconds and leaves no namespace, mount, directory or cgroup behind', async () => {
  const before = await traces();
  const started = performance.now();
  const r = await preflight();
  const seconds = (performance.now() - started) / 1000;
  assert.equal(r.exitCode, 0, r.all);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, -1).map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ['ok fuse', 'ok tun', 'ok netns', 'ok veth', 'ok tbf', 'ok overlay', 'ok cgroup', ...lines.slice(7, -1).map(() => 'ok disk')]);
  assert.match(lines.find((l) => l.startsWith('ok      cgroup'))!, new RegExp(`cgroup +${hostCgroups().mode}: `));
  assert.match(lines.at(-1)!, /^preflight: everything the lab needs is here/);
  assert.ok(seconds < 10, `took ${seconds.toFixed(1)} s`);
  assert.deepEqual(await traces(), before);
});

test('HELLOBENCH_TUN_DEVICE pointing at nothing: one MISSING line naming TUN, exit 1', async () => {
  const r = await preflight({ HELLOBENCH_TUN_DEVICE: '/dev/net/no-such-tun' });
  assert.equal(r.exitCode, 1, r.all);
  const missing = r.stdout.split('\n').filter((l) => l.startsWith('MISSING'));
  assert.deepEqual(missing, ['MISSING tun      /dev/net/no-such-tun is absent (ENOENT): the link\'s delay line needs it; run the job container with --privileged (or --device /dev/net/tun) on a kernel with CONFIG_TUN']);
  assert.match(r.stdout.trim().split('\n').at(-1)!, /^preflight: missing tun: /);
});

/** A PID no process has: probed downwards from the kernel's limit. */
function deadPid(): number {
  for (let pid = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) - 1; pid > 1; pid--) {
    if (existsSync(`/proc/${pid}`)) continue;
    try { process.kill(pid, 0); } catch { return pid; }
  }
  throw new Error('no free PID');
}

test('what a killed preflight left (its namespace, its directory with a mount in it) is removed by the next, which passes', async () => {
  const dead = deadPid();
  const ns = `hellobench-preflight-${dead}-abc123`;
  const dir = join(LAB_BASE, `preflight-${dead}-x`);
  try {
    await execa('ip', ['netns', 'add', ns]);
    mkdirSync(join(dir, 'merged'), { recursive: true });
    await execa('mount', ['-t', 'tmpfs', 'tmpfs', join(dir, 'merged')]);
    writeFileSync(join(dir, 'merged', 'through'), 'written\n');
    assert.ok((await execa('ip', ['netns', 'list'])).stdout.includes(ns));

    const r = await preflight();
    assert.equal(r.exitCode, 0, r.all);
    assert.match(r.stdout.trim().split('\n').at(-1)!, /^preflight: everything the lab needs is here/);
    assert.ok(!(await execa('ip', ['netns', 'list'])).stdout.includes(ns), `${ns} is still there`);
    assert.deepEqual(mountsUnder(dir), []);
    assert.ok(!existsSync(dir), `${dir} is still there`);
  } finally {
    await execa('ip', ['netns', 'del', ns], { reject: false });
    for (const m of mountsUnder(dir)) await execa('umount', [m.target], { reject: false });
    if (!mountsUnder(dir).length) rmSync(dir, { recursive: true, force: true });
  }
});
