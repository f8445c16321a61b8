import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCatalog } from '../../src/catalog/load.ts';
import { preflightCommand } from '../../src/commands/preflight.ts';
import { ownerAlive } from '../../src/lab/cleanup.ts';
import { diskNeeds, ESTIMATE, storedImages, type StoredImages } from '../../src/lab/disk.ts';
import { checkDisk, preflight, type Finding, type PreflightEnv } from '../../src/lab/preflight.ts';
import { MODES } from '../../src/systems/index.ts';

const GiB = 1024 ** 3;

/** An executable shell script in `dir`. */
function script(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/**
 * Everything present, without root: /dev/null stands for both devices, ip and tc succeed and log
 * their argv, mount "mounts" an overlay by copying the lower directory into the merged one, and
 * the cgroup root is a plain directory.
 */
function fakeEnv(over: Partial<PreflightEnv> = {}): { env: PreflightEnv; dir: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hb-preflight-'));
  const log = join(dir, 'calls.log');
  const cg = join(dir, 'cgroup');
  mkdirSync(cg);
  const env: PreflightEnv = {
    fuseDevice: '/dev/null',
    tunDevice: '/dev/null',
    ip: script(dir, 'ip', `echo "ip $*" >> ${log}`),
    tc: script(dir, 'tc', `echo "tc $*" >> ${log}`),
    mount: script(dir, 'mount', `for a; do last=$a; done
lower=$(echo "$*" | sed -n 's/.*lowerdir=\\([^,]*\\),.*/\\1/p')
cp -r "$lower"/. "$last"/ && echo "mount $*" >> ${log}`),
    umount: script(dir, 'umount', `echo "umount $*" >> ${log}`),
    stateDir: join(dir, 'state'),
    cgroups: () => ({ mode: 'v2', root: cg, controllers: ['cpu', 'io', 'memory', 'pids'], systemd: false }),
    space: () => ({ free: 100 * GiB, device: 1 }),
    needs: [{ what: 'images', path: dir, bytes: GiB }],
    id: 'unit',
    alive: ownerAlive,
    mounts: () => [],
    ...over,
  };
  return { env, dir, log };
}

const missingPieces = (fs: Finding[]) => fs.filter((f) => f.ok === false).map((f) => f.piece);
const find = (fs: Finding[], piece: string) => fs.find((f) => f.piece === piece)!;

test('everything present: every piece ok, and the namespace, overlay and cgroup made are gone afterwards', async () => {
  const { env, log } = fakeEnv();
  const found = await preflight(env);
  assert.deepEqual(found.map((f) => [f.piece, f.ok]), [['fuse', true], ['tun', true], ['netns', true], ['veth', true], ['tbf', true], ['overlay', true], ['cgroup', true], ['disk', true]]);
  const calls = readFileSync(log, 'utf8').split('\n');
  assert.ok(calls.includes('ip netns add hellobench-preflight-unit'));
  assert.ok(calls.includes('tc -n hellobench-preflight-unit qdisc add dev hbpf0 root tbf rate 100mbit burst 32kbit latency 50ms'));
  assert.equal(calls.filter((c) => c === 'ip netns del hellobench-preflight-unit').length, 1);
  assert.ok(calls.some((c) => new RegExp(`^umount .*/state/preflight-${process.pid}-\\w+/merged$`).test(c)), 'the overlay, in a directory named by its PID, is unmounted');
  // The state directory is made root's alone, and keeps nothing of the check.
  assert.equal(statSync(env.stateDir).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(env.stateDir), []);
  assert.deepEqual(readdirSync(env.cgroups().root), []);
  assert.match(find(found, 'cgroup').detail, /^v2: made and removed a child cgroup in /);
});

test('a hidden /dev/net/tun is one MISSING line naming the device and what to do', async () => {
  const { env, dir } = fakeEnv();
  const found = await preflight({ ...env, tunDevice: join(dir, 'no-tun') });
  assert.deepEqual(missingPieces(found), ['tun']);
  assert.match(find(found, 'tun').detail, new RegExp(`^${join(dir, 'no-tun')} is absent \\(ENOENT\\): .*--device /dev/net/tun`));
  // A regular file in its place is not the device either.
  writeFileSync(join(dir, 'plain'), '');
  assert.match(find(await preflight({ ...env, tunDevice: join(dir, 'plain') }), 'tun').detail, /is not a character device/);
});

test('a kernel without sch_tbf: the tbf line says the kernel lacks tbf, and the namespace is deleted all the same', async () => {
  const { env, dir, log } = fakeEnv();
  const tc = script(dir, 'tc-no-tbf', 'echo "Error: Specified qdisc kind is unknown." >&2; exit 2');
  const found = await preflight({ ...env, tc });
  assert.deepEqual(missingPieces(found), ['tbf']);
  assert.match(find(found, 'tbf').detail, /^the kernel lacks the tbf qdisc \(tc: Error: Specified qdisc kind is unknown\.\): .*modprobe sch_tbf/);
  assert.ok(readFileSync(log, 'utf8').split('\n').includes('ip netns del hellobench-preflight-unit'));
});

test('no network namespace: netns is missing and veth and tbf are not checked (not counted missing)', async () => {
  const { env, dir, log } = fakeEnv();
  const ip = script(dir, 'ip-no-netns', `echo "ip $*" >> ${log}; case "$1" in netns) echo "mount --make-shared /run/netns failed: Operation not permitted" >&2; exit 1;; esac`);
  const found = await preflight({ ...env, ip });
  assert.deepEqual(missingPieces(found), ['netns']);
  assert.match(find(found, 'netns').detail, /Operation not permitted.*--privileged/);
  assert.deepEqual([find(found, 'veth').ok, find(found, 'tbf').ok], [undefined, undefined]);
});

test('an overlay mount that fails on the state volume says to put the state on a host volume, and leaves nothing there', async () => {
  const { env, dir, log } = fakeEnv();
  const mount = script(dir, 'mount-overlay-on-overlay', 'echo "mount: /x/merged: wrong fs type, bad option, bad superblock on overlay." >&2; exit 32');
  const found = await preflight({ ...env, mount });
  assert.deepEqual(missingPieces(found), ['overlay']);
  assert.match(find(found, 'overlay').detail, /wrong fs type.*put the state on a host volume/);
  assert.deepEqual(readdirSync(env.stateDir), []);
  assert.ok(!readFileSync(log, 'utf8').includes('umount'), 'nothing was mounted, nothing to unmount');
});

test('a cgroup controller runc needs that is not there, and a hierarchy it cannot write, are the cgroup line', async () => {
  const { env } = fakeEnv();
  const root = env.cgroups().root;
  const v2 = await preflight({ ...env, cgroups: () => ({ mode: 'v2', root, controllers: ['cpu', 'pids'], systemd: false }) });
  assert.deepEqual(missingPieces(v2), ['cgroup']);
  assert.match(find(v2, 'cgroup').detail, new RegExp(`^cgroup v2: ${join(root, 'cgroup.controllers')} lacks memory: `));
  // v1 with the controllers listed but no pids hierarchy where runc looks for it.
  for (const c of ['cpu', 'memory']) mkdirSync(join(root, c));
  const v1 = await preflight({ ...env, cgroups: () => ({ mode: 'hybrid', root, controllers: ['cpu', 'memory', 'pids'], systemd: false }) });
  assert.match(find(v1, 'cgroup').detail, new RegExp(`^cgroup hybrid: cannot make a cgroup in ${join(root, 'pids')} \\(ENOENT\\)`));
  assert.deepEqual([readdirSync(join(root, 'cpu')), readdirSync(join(root, 'memory'))], [[], []], 'the children made before the failure are removed');
});

test('too little disk names what needs how much and how much is free; places on one filesystem are summed', () => {
  const { env } = fakeEnv();
  const needs = [{ what: 'images', path: '/cache', bytes: 3 * GiB, note: '2 of 2 image sizes estimated' }, { what: 'lab state', path: '/state', bytes: 2 * GiB }, { what: 'tools build', path: '/home', bytes: 4 * GiB }];
  const space = (p: string) => (p === '/home' ? { free: 50 * GiB, device: 2 } : { free: 4 * GiB, device: 1 });
  const found = checkDisk({ ...env, needs, space });
  assert.deepEqual(found.map((f) => f.ok), [false, true]);
  assert.equal(found[0]!.detail, 'needs 5.0 GiB (images 3.0 GiB in /cache (2 of 2 image sizes estimated), lab state 2.0 GiB in /state) but 4.0 GiB is free there: free 1.0 GiB, or point HELLOBENCH_HOME / HELLOBENCH_LAB_BASE at a larger volume, or select fewer workloads or modes');
  assert.equal(found[1]!.detail, 'needs 4.0 GiB (tools build 4.0 GiB in /home), 50.0 GiB free');
});

test('several missing pieces: one MISSING line each, a verdict naming them, exit 1', async () => {
  const { env, dir } = fakeEnv();
  const broken: PreflightEnv = {
    ...env,
    tunDevice: join(dir, 'no-tun'),
    tc: script(dir, 'tc-no-tbf', 'echo "Error: Specified qdisc kind is unknown." >&2; exit 2'),
    space: () => ({ free: 0.5 * GiB, device: 1 }),
  };
  const out: string[] = [];
  const code = await preflightCommand({ workloads: 'unused', modes: 'legacy', containerd: '1.6' }, broken, (t) => out.push(t));
  const lines = out.join('').trimEnd().split('\n');
  assert.equal(code, 1, lines.join('\n'));
  assert.deepEqual(lines.filter((l) => l.startsWith('MISSING')).map((l) => l.split(/\s+/)[1]), ['tun', 'tbf', 'disk']);
  assert.equal(lines.filter((l) => l.startsWith('ok')).length, 5, lines.join('\n'));
  assert.match(lines.at(-1)!, /^preflight: missing tun, tbf, disk: /);
});

/** A PID no process has: probed downwards from the kernel's limit. */
function deadPid(): number {
  for (let pid = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) - 1; pid > 1; pid--) {
    if (existsSync(`/proc/${pid}`)) continue;
    try { process.kill(pid, 0); } catch { return pid; }
  }
  throw new Error('no free PID');
}

const mountAt = (target: string) => ({ target, fstype: 'overlay', source: 'overlay', options: 'rw' });

test('leftovers of a killed preflight (dead PID) are removed first: its namespace, its directory after its mount, its cgroups', async () => {
  const dead = deadPid();
  const { env, dir, log } = fakeEnv();
  const ip = script(dir, 'ip-with-stale', `echo "ip $*" >> ${log}; [ "$1 $2" = "netns list" ] && printf 'hellobench-preflight-${dead}-abc123 (id: 4)\\n'; exit 0`);
  const staleDir = join(env.stateDir, `preflight-${dead}-x`);
  mkdirSync(join(staleDir, 'merged'), { recursive: true });
  writeFileSync(join(staleDir, 'merged', 'through'), 'written\n');
  const root = env.cgroups().root;
  mkdirSync(join(root, `hellobench-preflight-${dead}-abc123`));
  // v1: one child per controller's hierarchy.
  const v1 = join(dir, 'v1');
  for (const c of ['cpu', 'memory', 'pids']) mkdirSync(join(v1, c, `hellobench-preflight-${dead}-abc123`), { recursive: true });

  const found = await preflight({ ...env, ip, mounts: () => [mountAt(join(staleDir, 'merged'))] });
  assert.deepEqual(missingPieces(found), []);
  const calls = readFileSync(log, 'utf8').split('\n');
  assert.ok(calls.includes(`ip netns del hellobench-preflight-${dead}-abc123`), calls.join('\n'));
  assert.ok(calls.includes(`umount ${join(staleDir, 'merged')}`), 'its mount is unmounted before the directory goes');
  assert.ok(!calls.some((c) => c.startsWith('umount -l')));
  assert.deepEqual(readdirSync(env.stateDir), []);
  assert.deepEqual(readdirSync(root), []);
  await preflight({ ...env, cgroups: () => ({ mode: 'hybrid', root: v1, controllers: ['cpu', 'memory', 'pids'], systemd: false }) });
  assert.deepEqual(['cpu', 'memory', 'pids'].map((c) => readdirSync(join(v1, c))), [[], [], []]);
});

test('a live preflight\'s namespace, directory, mount and cgroup, and names without an owner PID, are left alone', async () => {
  const live = process.pid;
  const { env, dir, log } = fakeEnv();
  const ip = script(dir, 'ip-with-live', `echo "ip $*" >> ${log}; [ "$1 $2" = "netns list" ] && printf 'hellobench-preflight-${live}-def456\\nhellobench-7\\n'; exit 0`);
  const kept = [`preflight-${live}-y`, 'preflight-AbC123', 'lab-7'];
  for (const d of kept) mkdirSync(join(env.stateDir, d, 'merged'), { recursive: true });
  const root = env.cgroups().root;
  mkdirSync(join(root, `hellobench-preflight-${live}-def456`));
  mkdirSync(join(root, 'hellobench-preflight-nopid'));

  const found = await preflight({ ...env, ip, mounts: () => kept.map((d) => mountAt(join(env.stateDir, d, 'merged'))) });
  assert.deepEqual(missingPieces(found), []);
  const calls = readFileSync(log, 'utf8').split('\n');
  assert.deepEqual(calls.filter((c) => c.startsWith('ip netns del')), ['ip netns del hellobench-preflight-unit'], 'only its own namespace');
  assert.ok(!calls.some((c) => kept.some((d) => c.includes(join(env.stateDir, d)))), 'no mount of theirs unmounted');
  assert.deepEqual(readdirSync(env.stateDir).sort(), [...kept].sort());
  assert.deepEqual(readdirSync(root).sort(), [`hellobench-preflight-${live}-def456`, 'hellobench-preflight-nopid'].sort());
});

test('a dead preflight\'s directory whose mount does not unmount is kept, never removed through the mount', async () => {
  const dead = deadPid();
  const { env, dir, log } = fakeEnv();
  const umount = script(dir, 'umount-busy', `echo "umount $*" >> ${log}; case "$1" in *preflight-${dead}-*) echo "umount: target is busy." >&2; exit 32;; esac`);
  const staleDir = join(env.stateDir, `preflight-${dead}-x`);
  mkdirSync(join(staleDir, 'merged'), { recursive: true });
  const found = await preflight({ ...env, umount, mounts: () => [mountAt(join(staleDir, 'merged'))] });
  assert.deepEqual(missingPieces(found), []);
  assert.ok(existsSync(join(staleDir, 'merged')));
  assert.ok(!readFileSync(log, 'utf8').includes('umount -l'));
});

const SMOKE = `
workloads:
  - name: small
    category: other
    image: { build: { base: busybox, layers: [{ files: [{ path: /a, size: 40MiB }] }] } }
    pattern: echo-hello
    args: [echo, hello]
  - name: deb
    category: language
    image: { build: { base: debian, packages: [python3] } }
    pattern: echo-hello
    args: [echo, hello]
`;

test('disk estimate: busybox images by their filler, Debian ones by the constant, converted modes on top, tools when missing', () => {
  const workloads = parseCatalog(SMOKE, 'smoke.yaml');
  const legacy = MODES.filter((m) => !m.system.convert);
  const converting = MODES.filter((m) => m.system.convert).slice(0, 2);
  const places = { cache: '/c', state: '/s', buildHome: '/h' };
  const none = (): StoredImages => ({ converted: {} });
  const small = 4 * 1024 ** 2 + 40 * 1024 ** 2;
  const deb = ESTIMATE.debianCompressed;
  const [images, state, ...rest] = diskNeeds({ workloads: workloads.slice(0, 1), modes: legacy, stored: none, toolsMissing: false }, places);
  assert.equal(rest.length, 0, 'tools present: no build');
  // Filler does not compress: unpacked, a busybox image is as large; its build holds the layout and the bundle.
  assert.equal(images!.bytes, small + 2 * small + ESTIMATE.slack);
  assert.equal(images!.note, '1 of 1 image sizes estimated');
  assert.equal(state!.bytes, 2 * small + ESTIMATE.slack);
  // Two converting modes and a Debian image: more everywhere, and the tools build where Go and cargo keep their caches.
  const more = diskNeeds({ workloads, modes: [...legacy, ...converting], stored: none, toolsMissing: true }, places);
  assert.deepEqual(more.map((n) => [n.what, n.path]), [['images', '/c'], ['lab state', '/s'], ['tools build', '/h']]);
  const conv = (c: number) => 2 * c * ESTIMATE.convertedRatio;
  assert.equal(more[0]!.bytes, small + conv(small) + deb + conv(deb) + (deb * (1 + 2 * ESTIMATE.unpackRatio) + small * 2) + ESTIMATE.debianShared + ESTIMATE.slack);
  assert.equal(more[2]!.bytes, ESTIMATE.toolsBuild);
});

test('disk estimate: sizes measured in a registry store are used, and a workload stored for every mode needs nothing more', () => {
  const store = mkdtempSync(join(tmpdir(), 'hb-store-'));
  const v2 = join(store, 'docker/registry/v2');
  const put = (repo: string, tag: string, manifest: object) => {
    const body = JSON.stringify(manifest);
    const hex = Buffer.from(`${repo}${tag}`).toString('hex').padEnd(64, '0').slice(0, 64);
    mkdirSync(join(v2, 'blobs/sha256', hex.slice(0, 2), hex), { recursive: true });
    writeFileSync(join(v2, 'blobs/sha256', hex.slice(0, 2), hex, 'data'), body);
    mkdirSync(join(v2, 'repositories/hellobench', repo, '_manifests/tags', tag, 'current'), { recursive: true });
    writeFileSync(join(v2, 'repositories/hellobench', repo, '_manifests/tags', tag, 'current/link'), `sha256:${hex}`);
  };
  const mode = MODES.find((m) => m.system.convert)!;
  put('deb', 'org-0123456789ab', { layers: [{ size: 50e6 }, { size: 30e6 }] });
  put('deb', 'org-ba9876543210', { layers: [{ size: 10e6 }] });
  put('deb', `${mode.tag}-0123456789ab`, { layers: [{ size: 90e6 }] });
  assert.deepEqual(storedImages(store, 'deb'), { original: 80e6, converted: { [mode.tag]: 90e6 } });
  assert.deepEqual(storedImages(store, 'absent'), { converted: {} });
  assert.ok(!existsSync(join(store, 'docker/registry/v2/repositories/hellobench/absent')));

  const [, deb] = parseCatalog(SMOKE, 'smoke.yaml');
  const places = { cache: '/c', state: '/s', buildHome: '/h' };
  const stored = (n: string) => storedImages(store, n);
  const [images, state] = diskNeeds({ workloads: [deb!], modes: [mode], stored, toolsMissing: false }, places);
  assert.deepEqual([images!.note, images!.bytes], [undefined, ESTIMATE.slack], 'all stored and measured: nothing more in the cache');
  // A run still pulls the largest image (with its unpacked root) into fresh state.
  assert.equal(state!.bytes, 90e6 + 80e6 * ESTIMATE.unpackRatio + ESTIMATE.slack);
});
