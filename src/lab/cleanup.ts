// Crash clean-up: what a killed hellobench left (daemons, shims, mounts, namespaces, link
// devices, lab directories) is found by the paths and PIDs the lab recorded and removed by
// the next lab.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_BASE } from '../paths.ts';
import { exeOf, isAlive } from './daemon.ts';
import { LabError } from './errors.ts';
import { removeStaleLabCgroups } from './accounting.ts';
import { staleNamespaces } from './link.ts';
import { listMounts, unmountUnder } from './mounts.ts';
import type { LeftoverCleaner } from './node.ts';

/** Every live process with its argv (processes that exit meanwhile are skipped). */
function processes(): [number, string[]][] {
  const out: [number, string[]][] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.push([Number(name), readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')]);
    } catch { /* exited */ }
  }
  return out;
}

/** PIDs of processes with an argument that satisfies `match`. */
const pidsWhere = (match: (arg: string) => boolean) => processes().filter(([, argv]) => argv.some(match)).map(([pid]) => pid);

/** An argument's path, without a `--flag=` in front of it. */
const pathOf = (arg: string) => arg.replace(/^[^/]*=/, '');

/** PIDs of processes whose argv contains `arg` exactly (e.g. a lab's containerd socket). */
export const pidsWithArg = (arg: string) => pidsWhere((a) => a === arg);

/** PIDs of processes with an argument inside `dir` (e.g. helpers a snapshotter spawned under its root). */
export const pidsUnder = (dir: string) => pidsWhere((a) => pathOf(a) === dir || pathOf(a).startsWith(`${dir}/`));

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

/** A lab owner (a hellobench node process) is alive; a PID reused since by another program is not. */
export const ownerAlive = (pid: number) => isAlive(pid) && !!exeOf(pid)?.includes('node');

/** A lab directory's path and its owner's PID, within a longer text. */
const LAB_DIR = `${LAB_BASE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/lab-(\\d+)`;

/** [pid, owning lab pid] of processes with an argument inside some lab's directory. */
function labProcesses(): [number, number][] {
  const re = new RegExp(`^${LAB_DIR}(/|$)`);
  const out: [number, number][] = [];
  for (const [pid, argv] of processes()) {
    const m = argv.map((a) => re.exec(pathOf(a))).find((x) => x !== null);
    if (m) out.push([pid, Number(m[1])]);
  }
  return out;
}

/**
 * Removes labs whose owning hellobench process is gone: kills their daemons, unmounts, lets
 * every runtime remove what its samples left on the host (`leftovers`), deletes.
 */
export async function cleanStaleLabs(log?: (line: string) => void, leftovers: readonly LeftoverCleaner[] = []): Promise<void> {
  const stale: string[] = [];
  for (const name of existsSync(LAB_BASE) ? readdirSync(LAB_BASE) : []) {
    if (!name.startsWith('lab-')) continue;
    const dir = join(LAB_BASE, name);
    let owner = 0;
    try { owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')).pid; } catch { /* no owner */ }
    if (owner && owner !== process.pid && ownerAlive(owner)) continue;
    log?.(`cleaning up ${dir} left by a run that did not finish`);
    // Every daemon left a PID record beside its log; a PID reused since is left alone.
    for (const pidFile of pidFiles(dir)) {
      try {
        const { pid, exe } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number; exe: string };
        if (exeOf(pid) === exe) process.kill(pid, 'SIGKILL');
      } catch { /* none */ }
    }
    killAll(pidsUnder(dir));
    await new Promise((r) => setTimeout(r, 200));
    const failed = await unmountUnder(dir);
    if (failed.length) throw new LabError(`cannot clean stale lab ${dir}: ${failed.join('; ')}`);
    stale.push(dir);
  }
  // Run whether or not a lab directory is left: no lab runs now (this one holds the lock).
  for (const clean of leftovers) {
    const removed = await clean(stale);
    if (removed.length) log?.(`removed ${removed.join(', ')} left by a run that did not finish`);
  }
  for (const dir of stale) rmSync(dir, { recursive: true, force: true });
  // Daemons of dead labs whose directory is already gone: their argv names the lab's path.
  for (const [pid, owner] of labProcesses()) {
    if (owner !== process.pid && !ownerAlive(owner)) {
      log?.(`stopping process ${pid} left by lab ${owner}`);
      killAll([pid]);
    }
  }
  // Mounts outside every lab directory built from a dead lab's layers (see mountsBuiltFrom).
  const named = new Set(listMounts().flatMap((m) => [...m.options.matchAll(new RegExp(`${LAB_DIR}/`, 'g'))].map((x) => Number(x[1]))));
  for (const owner of named) {
    if (owner === process.pid || ownerAlive(owner)) continue;
    const dir = join(LAB_BASE, `lab-${owner}`);
    log?.(`unmounting what was mounted from ${dir} by a run that did not finish`);
    const failed = await unmountUnder(dir);
    if (failed.length) throw new LabError(`cannot unmount what stale lab ${dir} left: ${failed.join('; ')}`);
  }
  for (const c of removeStaleLabCgroups(ownerAlive)) log?.(`removed cgroup ${c} left by a run that did not finish`);
  for (const ns of await staleNamespaces(ownerAlive)) {
    log?.(`removing network namespace ${ns.ns} and its link left by a run that did not finish`);
    // Its delay line runs in the host's namespace and holds the TUN pair: its argv names the
    // lab's device. With it gone, so are the devices.
    killAll(pidsWithArg(ns.hostTun));
    await ns.remove();
  }
}

/** `*.pid` records one level below a lab directory. */
function pidFiles(dir: string): string[] {
  const out: string[] = [];
  for (const sub of readdirSync(dir, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    try {
      for (const f of readdirSync(join(dir, sub.name))) if (f.endsWith('.pid')) out.push(join(dir, sub.name, f));
    } catch { /* gone */ }
  }
  return out;
}
