// What the lab needs of this kernel and machine, checked in seconds before anything is built:
// each check tries the real thing (open the device, make a namespace, a veth with tbf, an
// overlay mount, a cgroup) on throwaway names, and removes what it made whatever happens.
// Everything it touches comes from an environment, so tests can hide a piece without root.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { CgroupLayout } from './cgroups.ts';
import type { DiskNeed } from './disk.ts';
import type { MountEntry } from './mounts.ts';

export interface PreflightEnv {
  fuseDevice: string;
  tunDevice: string;
  /** Paths of iproute2's ip and tc, and of mount and umount. */
  ip: string;
  tc: string;
  mount: string;
  umount: string;
  /** LAB_BASE: where the lab's overlays will have their upper directories. */
  stateDir: string;
  /** The cgroup layout runc will use; may throw (no hierarchy mounted). */
  cgroups: () => CgroupLayout;
  /** Free bytes of the filesystem holding an existing path, and that filesystem's identity. */
  space: (path: string) => { free: number; device: number };
  /** What the selection needs on disk, per directory. */
  needs: DiskNeed[];
  /** Unique part of the throwaway names (namespace, cgroup): this process's PID, a dash, and more. */
  id: string;
  /** Whether the preflight process of a PID is still running (a PID reused by another program is not). */
  alive: (pid: number) => boolean;
  /** The mounts of this machine (listMounts). */
  mounts: () => MountEntry[];
}

/** ok: present; false: missing (detail says what to do); undefined: not checked (detail says why). */
export interface Finding { piece: string; ok: boolean | undefined; detail: string }

const ok = (piece: string, detail: string): Finding => ({ piece, ok: true, detail });
const missing = (piece: string, detail: string): Finding => ({ piece, ok: false, detail });
const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/** A character device that opens read-write, as the daemons that use it will open it. */
export function checkDevice(piece: string, path: string, advice: string): Finding {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    return missing(piece, `${path} is absent (${code(err)}): ${advice}`);
  }
  if (!st.isCharacterDevice()) return missing(piece, `${path} is not a character device: ${advice}`);
  try {
    closeSync(openSync(path, 'r+'));
  } catch (err) {
    return missing(piece, `${path} does not open read-write (${code(err)}): ${advice}`);
  }
  return ok(piece, `${path} opens read-write`);
}

/** Runs an argv; the failure's own words (stderr, or why it could not start), or undefined on success. */
async function attempt(cmd: string, args: string[]): Promise<string | undefined> {
  const r = await execa(cmd, args, { reject: false, timeout: 10_000, stdin: 'ignore' });
  if (r.exitCode === 0) return undefined;
  const words = r.stderr.trim() || (r.failed ? r.shortMessage : '') || `exit ${r.exitCode}`;
  return words.split('\n')[0]!;
}

/** The kernel's words when a qdisc kind is not built or loadable. */
const UNKNOWN_QDISC = /qdisc kind is unknown|unknown qdisc|no such file or directory|not supported/i;

/** A network namespace, a veth pair in it, and tbf on the pair: what the lab's link is made of. */
export async function checkNetwork(env: PreflightEnv): Promise<Finding[]> {
  const ns = `hellobench-preflight-${env.id}`;
  const [a, b] = ['hbpf0', 'hbpf1'];
  const notChecked = (piece: string, why: string): Finding => ({ piece, ok: undefined, detail: `not checked: ${why}` });
  try {
    const add = await attempt(env.ip, ['netns', 'add', ns]);
    if (add) {
      return [missing('netns', `ip netns add failed (${add}): run the job container with --privileged, on a kernel with network namespaces`),
        notChecked('veth', 'needs the network namespace'), notChecked('tbf', 'needs the network namespace')];
    }
    const found: Finding[] = [ok('netns', `made and removed ${ns}`)];
    const veth = await attempt(env.ip, ['-n', ns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b])
      ?? await attempt(env.ip, ['-n', ns, 'link', 'set', a, 'up'])
      ?? await attempt(env.ip, ['-n', ns, 'link', 'set', b, 'up']);
    if (veth) return [...found, missing('veth', `no veth pair in a namespace (${veth}): the kernel needs veth (CONFIG_VETH; modprobe veth on the host)`), notChecked('tbf', 'needs the veth pair')];
    found.push(ok('veth', 'a veth pair comes up in the namespace'));
    const tbf = await attempt(env.tc, ['-n', ns, 'qdisc', 'add', 'dev', a, 'root', 'tbf', 'rate', '100mbit', 'burst', '32kbit', 'latency', '50ms']);
    if (!tbf) return [...found, ok('tbf', 'tbf qdisc on the veth pair (rate 100mbit)')];
    return [...found, missing('tbf', UNKNOWN_QDISC.test(tbf)
      ? `the kernel lacks the tbf qdisc (tc: ${tbf}): the link's rate limit needs it; load sch_tbf on the host (modprobe sch_tbf) or use a kernel with CONFIG_NET_SCH_TBF`
      : `tc could not put tbf on a veth (${tbf}): the link's rate limit needs it; run the job container with --privileged`)];
  } finally {
    // Deleting the namespace deletes the veth pair in it; a namespace never made: nothing to delete.
    await attempt(env.ip, ['netns', 'del', ns]);
  }
}

/** The state directory, made as the lab lock makes it (root's alone) if it is not there. */
function ensureStateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** An overlay with its upper and work directories on the state volume, written through and unmounted. */
export async function checkOverlay(env: PreflightEnv): Promise<Finding> {
  const advice = 'overlayfs cannot put its upper directory there (a container\'s own overlay root cannot): put the state on a host volume (-v /var/lib/hellobench:/var/lib/hellobench) or point HELLOBENCH_LAB_BASE at one';
  try {
    ensureStateDir(env.stateDir);
  } catch (err) {
    return missing('overlay', `cannot make the state directory ${env.stateDir} (${code(err)}): make it, or point HELLOBENCH_LAB_BASE elsewhere`);
  }
  const dir = mkdtempSync(join(env.stateDir, `preflight-${process.pid}-`));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(dir, d)) as [string, string, string, string];
  let mounted = false;
  try {
    for (const d of [lower, upper, work, merged]) mkdirSync(d);
    writeFileSync(join(lower, 'below'), 'lower\n');
    const failed = await attempt(env.mount, ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]);
    if (failed) return missing('overlay', `mount -t overlay in ${env.stateDir} failed (${failed}): ${advice}`);
    mounted = true;
    writeFileSync(join(merged, 'through'), 'written\n');
    if (readFileSync(join(merged, 'below'), 'utf8') !== 'lower\n' || readFileSync(join(merged, 'through'), 'utf8') !== 'written\n') {
      return missing('overlay', `an overlay in ${env.stateDir} does not show what was written: ${advice}`);
    }
    return ok('overlay', `mounted, written through and unmounted in ${env.stateDir}`);
  } catch (err) {
    return missing('overlay', `an overlay in ${env.stateDir} failed (${code(err)}): ${advice}`);
  } finally {
    // A busy mount goes lazily; the directory goes only once nothing is mounted in it.
    const stuck = mounted && Boolean(await attempt(env.umount, [merged])) && Boolean(await attempt(env.umount, ['-l', merged]));
    if (!stuck) rmSync(dir, { recursive: true, force: true });
  }
}

/** The controllers runc's containers are limited and counted by. */
export const CGROUP_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

/** Where runc makes the containers' cgroups: the v2 root, or each controller's v1 hierarchy. */
const cgroupDirs = (layout: CgroupLayout) => (layout.mode === 'v2' ? [layout.root] : CGROUP_CONTROLLERS.map((c) => join(layout.root, c)));

/** A child cgroup made and removed where runc (cgroupfs driver) will make the containers' ones. */
export function checkCgroup(env: PreflightEnv): Finding {
  let layout: CgroupLayout;
  try {
    layout = env.cgroups();
  } catch (err) {
    return missing('cgroup', (err as Error).message);
  }
  const lacking = CGROUP_CONTROLLERS.filter((c) => !layout.controllers.includes(c));
  if (lacking.length) {
    const where = layout.mode === 'v2' ? `${join(layout.root, 'cgroup.controllers')} lacks` : `no v1 hierarchy under ${layout.root} holds`;
    return missing('cgroup', `cgroup ${layout.mode}: ${where} ${lacking.join(', ')}: runc limits containers with them; run the job container with --cgroupns=host on a host that enables them`);
  }
  const dirs = cgroupDirs(layout);
  const made: string[] = [];
  let problem: string | undefined;
  for (const d of dirs) {
    const child = join(d, `hellobench-preflight-${env.id}`);
    try {
      mkdirSync(child);
      made.push(child);
    } catch (err) {
      problem = `cgroup ${layout.mode}: cannot make a cgroup in ${d} (${code(err)}): runc makes the containers' cgroups there; run the job container with --privileged --cgroupns=host`;
      break;
    }
  }
  for (const child of made.reverse()) {
    try {
      rmdirSync(child);
    } catch (err) {
      problem ??= `cgroup ${layout.mode}: made ${child} but cannot remove it (${code(err)}): runc removes the containers' cgroups the same way; remove it with rmdir`;
    }
  }
  return problem ? missing('cgroup', problem) : ok('cgroup', `${layout.mode}: made and removed a child cgroup in ${dirs.join(', ')}`);
}

const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;

/** The nearest directory of `path` that exists (the state and cache may not be made yet). */
function existing(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Free space per filesystem against what the selection's places on it need together; one finding per filesystem. */
export function checkDisk(env: PreflightEnv): Finding[] {
  const byFs = new Map<number, { free: number; needs: DiskNeed[] }>();
  for (const need of env.needs) {
    const { free, device } = env.space(existing(need.path));
    const fs = byFs.get(device) ?? { free, needs: [] };
    fs.needs.push(need);
    byFs.set(device, fs);
  }
  return [...byFs.values()].map(({ free, needs }) => {
    const total = needs.reduce((s, n) => s + n.bytes, 0);
    const parts = needs.map((n) => `${n.what} ${gib(n.bytes)} in ${n.path}${n.note ? ` (${n.note})` : ''}`).join(', ');
    return free >= total
      ? ok('disk', `needs ${gib(total)} (${parts}), ${gib(free)} free`)
      : missing('disk', `needs ${gib(total)} (${parts}) but ${gib(free)} is free there: free ${gib(total - free)}, or point HELLOBENCH_HOME / HELLOBENCH_LAB_BASE at a larger volume, or select fewer workloads or modes`);
  });
}

const FUSE_ADVICE = 'the FUSE snapshotters need it; run the job container with --privileged (or --device /dev/fuse) on a kernel with FUSE';
const TUN_ADVICE = 'the link\'s delay line needs it; run the job container with --privileged (or --device /dev/net/tun) on a kernel with CONFIG_TUN';

/** The PID a throwaway name of a preflight starts with (`<prefix><pid>-…`), or undefined. */
function ownerOf(name: string, prefix: string): number | undefined {
  const m = new RegExp(`^${prefix}(\\d+)-`).exec(name);
  return m ? Number(m[1]) : undefined;
}

const stale = (env: PreflightEnv, name: string, prefix: string) => {
  const pid = ownerOf(name, prefix);
  return pid !== undefined && !env.alive(pid);
};

/**
 * A preflight killed mid-check never ran its `finally`, and the lab's clean-up does not know
 * these names: its namespace, overlay directory and cgroups are removed here, by owner PID, so
 * a live preflight's are never touched (and a directory is never removed through a mount).
 */
export async function removeStalePreflights(env: PreflightEnv): Promise<void> {
  const list = await execa(env.ip, ['netns', 'list'], { reject: false, timeout: 10_000, stdin: 'ignore' });
  for (const ns of list.stdout.split('\n').map((l) => l.trim().split(/\s/)[0]!)) {
    if (stale(env, ns, 'hellobench-preflight-')) await attempt(env.ip, ['netns', 'del', ns]);
  }
  if (existsSync(env.stateDir)) {
    for (const name of readdirSync(env.stateDir)) {
      if (!stale(env, name, 'preflight-')) continue;
      const dir = join(env.stateDir, name);
      const targets = [...new Set(env.mounts().map((m) => m.target).filter((t) => t === dir || t.startsWith(`${dir}/`)))].sort((a, b) => b.length - a.length);
      let stuck = false;
      for (const t of targets) stuck = Boolean(await attempt(env.umount, [t])) || stuck;
      if (!stuck) rmSync(dir, { recursive: true, force: true });
    }
  }
  let layout: CgroupLayout;
  try {
    layout = env.cgroups();
  } catch {
    return;
  }
  for (const d of cgroupDirs(layout)) {
    let names: string[] = [];
    try { names = readdirSync(d); } catch { /* the cgroup check reports it */ }
    for (const name of names) {
      if (!stale(env, name, 'hellobench-preflight-')) continue;
      try { rmdirSync(join(d, name)); } catch { /* not empty: left alone */ }
    }
  }
}

/** Every check, at once (they touch different things); findings in a fixed order. */
export async function preflight(env: PreflightEnv): Promise<Finding[]> {
  await removeStalePreflights(env);
  const [network, overlay] = await Promise.all([checkNetwork(env), checkOverlay(env)]);
  return [
    checkDevice('fuse', env.fuseDevice, FUSE_ADVICE),
    checkDevice('tun', env.tunDevice, TUN_ADVICE),
    ...network,
    overlay,
    checkCgroup(env),
    ...checkDisk(env),
  ];
}
