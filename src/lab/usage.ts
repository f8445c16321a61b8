// What the lab's daemons cost during a sample: CPU time and peak resident memory, read from
// /proc once, when the sample ends. Every daemon starts with its sample (reset), so its CPU
// time and its peak RSS (VmHWM) so far are the sample's; no polling runs beside the sample.
// A daemon counts with every process below it (nydusd under the Nydus snapshotter), and with
// the children it waited for (a converter or mount helper that came and went).
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Linux's USER_HZ: the unit of /proc/<pid>/stat's CPU times on every architecture it runs on. */
const TICKS_PER_S = 100;

export interface DaemonUsage {
  /** User and system CPU seconds of the daemon and the processes below it. */
  cpu_s: number;
  /** The sum of each process's peak resident set (an upper bound of their peak together), MB. */
  peak_rss_mb: number;
  processes: number;
}

interface Proc { pid: number; ppid: number; ticks: number }

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after its last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

function peakRssKb(pid: number): number {
  try {
    return Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Usage of each named daemon (by its PID) with the processes below it; a daemon gone is left out. */
export function daemonUsage(daemons: Record<string, number | undefined>): Record<string, DaemonUsage> {
  const procs = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map((n) => readProc(Number(n))).filter((p): p is Proc => p !== undefined);
  const children = new Map<number, Proc[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const out: Record<string, DaemonUsage> = {};
  for (const [name, pid] of Object.entries(daemons)) {
    const root = pid === undefined ? undefined : procs.find((p) => p.pid === pid);
    if (!root) continue;
    const tree: Proc[] = [];
    for (const queue = [root]; queue.length;) {
      const p = queue.shift()!;
      tree.push(p);
      queue.push(...(children.get(p.pid) ?? []));
    }
    out[name] = {
      cpu_s: tree.reduce((t, p) => t + p.ticks, 0) / TICKS_PER_S,
      peak_rss_mb: tree.reduce((m, p) => m + peakRssKb(p.pid), 0) / 1024,
      processes: tree.length,
    };
  }
  return out;
}

/**
 * Disk used under `dir`, MB (allocated blocks), without crossing into other file systems: a lazy
 * system's FUSE mounts and a container's overlay are not walked (walking them would fetch).
 */
export function diskMb(dir: string): number | undefined {
  let root;
  try { root = lstatSync(dir); } catch { return undefined; }
  let blocks = 0;
  const walk = (d: string) => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(d, e.name);
      let st;
      try { st = lstatSync(p); } catch { continue; }
      if (st.dev !== root.dev) continue;
      blocks += st.blocks;
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return (blocks * 512) / 2 ** 20;
}
