// The lab's CPU and pressure accounting. hellobench moves itself into a cgroup of its own when
// the lab opens, so every daemon, shim and helper it starts is counted there, and runc puts the
// containers beside it under the same parent. The machine's CPU time minus this parent's is what
// others took, short-lived processes included (src/bench/machine.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_NAME, hostCgroups, type CgroupLayout } from './cgroups.ts';
import { LabError } from './errors.ts';

export type Resource = 'cpu' | 'io' | 'memory';

/** Counters of the lab's parent cgroup: they only grow, figures are their differences over a window. */
export interface LabUsage {
  /** CPU time of every process of the lab and its containers, ns. */
  cpu_ns: number;
  /** PSI "some" totals of the lab's tasks, µs; empty where the kernel keeps none per cgroup (v1 alone). */
  pressure: Partial<Record<Resource, number>>;
}

const LEAF = /^lab-(\d+)$/;

/** This process's cgroup path in a hierarchy, from /proc/self/cgroup (`id:controllers:path`). */
function ownPath(cgroupFile: string, v2: boolean): string | undefined {
  for (const line of cgroupFile.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (v2 ? line.startsWith('0::') : controllers!.split(',').includes('cpuacct')) return path;
  }
  return undefined;
}

export class LabCgroup {
  private constructor(
    /** Hierarchies this process was moved in: [leaf directory, the path it came from]. */
    private readonly moves: [string, string][],
    private readonly usageFile: string,
    private readonly v2Usage: boolean,
    private readonly psiDir: string | undefined,
  ) {}

  /**
   * Moves `pid` (hellobench) into `<hierarchy>/hellobench/lab-<pid>` in the accounting hierarchy
   * and the unified one; its children inherit it. A leaf of its own: on v2 the parent also holds
   * the containers' cgroups with controllers, and a cgroup with processes cannot.
   */
  static enter(layout: CgroupLayout = hostCgroups(), pid = process.pid): LabCgroup {
    if (!layout.accounting) throw new LabError(`cgroup ${layout.mode}: no hierarchy accounts CPU per cgroup (no cpuacct mounted): mount the cpuacct controller, or cgroup2 at /sys/fs/cgroup`);
    const self = readFileSync('/proc/self/cgroup', 'utf8');
    const hierarchies = [...new Set([layout.accounting, ...(layout.unified ? [layout.unified] : [])])];
    const moves: [string, string][] = [];
    for (const h of hierarchies) {
      const leaf = join(h, CGROUP_NAME, `lab-${pid}`);
      try {
        mkdirSync(leaf, { recursive: true });
        writeFileSync(join(leaf, 'cgroup.procs'), String(pid));
      } catch (err) {
        throw new LabError(`cannot move hellobench into cgroup ${leaf} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): the lab counts its own CPU there; run as root with the cgroup hierarchy writable (a job container: --privileged --cgroupns=host)`);
      }
      moves.push([leaf, ownPath(self, h === layout.unified) ?? '/']);
    }
    const parent = (h: string) => join(h, CGROUP_NAME);
    const v2 = layout.mode === 'v2';
    const psi = layout.unified && existsSync(join(parent(layout.unified), 'cpu.pressure')) ? parent(layout.unified) : undefined;
    return new LabCgroup(moves, join(parent(layout.accounting), v2 ? 'cpu.stat' : 'cpuacct.usage'), v2, psi);
  }

  usage(): LabUsage {
    const text = readFileSync(this.usageFile, 'utf8');
    const cpu_ns = this.v2Usage ? Number(/^usage_usec (\d+)/m.exec(text)?.[1] ?? 0) * 1000 : Number(text.trim());
    const pressure: LabUsage['pressure'] = {};
    if (this.psiDir) {
      for (const r of ['cpu', 'io', 'memory'] as const) {
        try {
          const some = /^some .*total=(\d+)/m.exec(readFileSync(join(this.psiDir, `${r}.pressure`), 'utf8'));
          if (some) pressure[r] = Number(some[1]);
        } catch { /* not kept for this resource */ }
      }
    }
    return { cpu_ns, pressure };
  }

  /** Moves hellobench back where it was and removes its leaves (the lab's processes are gone by then). */
  leave(pid = process.pid): void {
    for (const [leaf, from] of this.moves) {
      const hierarchy = leaf.slice(0, leaf.lastIndexOf(`/${CGROUP_NAME}/`));
      try { writeFileSync(join(hierarchy, from, 'cgroup.procs'), String(pid)); } catch { /* gone: stay, the leaf then stays too */ }
      try { rmdirSync(leaf); } catch { /* still holds a process; removed by the next lab */ }
    }
  }
}

/** Removes the leaves of labs whose owner is gone (a killed hellobench leaves an empty one). */
export function removeStaleLabCgroups(alive: (pid: number) => boolean, layout: CgroupLayout = hostCgroups()): string[] {
  const removed: string[] = [];
  for (const h of new Set([layout.accounting, layout.unified])) {
    if (!h) continue;
    const parent = join(h, CGROUP_NAME);
    let names: string[] = [];
    try { names = readdirSync(parent); } catch { continue; }
    for (const n of names) {
      const m = LEAF.exec(n);
      if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
      try { rmdirSync(join(parent, n)); removed.push(join(parent, n)); } catch { /* a process still in it */ }
    }
  }
  return removed;
}
