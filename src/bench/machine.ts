// What the kernel says about the machine while a sample runs, and whether that makes the
// sample disturbed: on a shared machine (laptop, CI runner, cloud VM) a slow sample may be
// the machine's fault, not the snapshotter's. The figures are kept on every sample; the
// verdict names the figure that crossed its threshold.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_BASE } from '../paths.ts';

/** Per-sample figures, all over the sample's own window (pull start to run end). */
export interface MachineFigures {
  /** CPU time the hypervisor gave to others, as a share of the machine's CPU time, percent. */
  steal_pct?: number;
  /** Share of wall time in which some task stalled waiting for the resource (PSI "some"), percent. */
  cpu_pressure_pct?: number;
  io_pressure_pct?: number;
  memory_pressure_pct?: number;
  /**
   * CPU time taken by processes outside the lab (not hellobench, its children or the lab's
   * container shims; kernel threads excluded, they work for everyone), as a share of the
   * machine's CPU time, percent. Processes that start and end inside the sample are not seen.
   */
  foreign_cpu_pct?: number;
  /** A fixed CPU load timed just before the sample, in ms, and its ratio to the fastest of the run. */
  canary_ms: number;
  canary_ratio: number;
}

/**
 * Thresholds, set from runs on a 2-core VM with and without a CPU and disk hog beside the lab
 * (docs/noisy-machines.md); another lab cannot run beside this one (src/lab/lock.ts).
 * Pressure is judged against the cell's own: a FUSE system's samples stall on I/O for ~40%
 * of their time on a calm machine, a legacy pull's for ~5%.
 */
export const THRESHOLDS = {
  steal_pct: 5,
  /** A third of a core on 2 cores; calm samples show 0.5-6% (docs/noisy-machines.md). */
  foreign_cpu_pct: 15,
  memory_pressure_pct: 5,
  /** Samples the canary alone marked at 1.5-1.8x were no slower than their cell's others (docs/noisy-machines.md). */
  canary_ratio: 2,
  /** CPU or I/O pressure counts when it passes the cell's reference by this many points... */
  pressure_margin: 15,
  /** ...and this floor; */
  pressure_floor: 25,
  /** for a cell's first sample (no reference yet), I/O pressure counts above this. */
  io_pressure_unreferenced: 50,
} as const;

/** The pressure a cell shows on a calm machine (see MachineWatch.reference). */
export interface PressureReference { cpu?: number; io?: number }

/** Why the sample counts as disturbed (the first figure over its threshold), or undefined. */
export function disturbance(f: MachineFigures, ref: PressureReference = {}, t = THRESHOLDS): string | undefined {
  if (f.steal_pct !== undefined && f.steal_pct > t.steal_pct) return `CPU steal ${pct(f.steal_pct)} > ${t.steal_pct}%`;
  if (f.foreign_cpu_pct !== undefined && f.foreign_cpu_pct > t.foreign_cpu_pct) return `CPU taken outside the lab ${pct(f.foreign_cpu_pct)} > ${t.foreign_cpu_pct}%`;
  if (f.canary_ratio > t.canary_ratio) return `canary ${f.canary_ratio.toFixed(2)}x its fastest > ${t.canary_ratio}x`;
  if (f.memory_pressure_pct !== undefined && f.memory_pressure_pct > t.memory_pressure_pct) return `memory pressure ${pct(f.memory_pressure_pct)} > ${t.memory_pressure_pct}%`;
  for (const [r, label, v] of [['cpu', 'CPU', f.cpu_pressure_pct], ['io', 'I/O', f.io_pressure_pct]] as const) {
    if (v === undefined) continue;
    const base = ref[r];
    const limit = base !== undefined ? Math.max(t.pressure_floor, base + t.pressure_margin)
      : r === 'io' ? t.io_pressure_unreferenced : t.pressure_floor;
    if (v > limit) return `${label} pressure ${pct(v)} > ${pct(limit)}${base !== undefined ? ` (cell's ${pct(base)} + ${t.pressure_margin})` : ''}`;
  }
  return undefined;
}

interface Snapshot {
  ns: bigint;
  /** Jiffies: steal and all, summed over CPUs (first line of /proc/stat). */
  steal: number;
  all: number;
  /** PSI "some" totals in microseconds; absent where the kernel has no PSI. */
  psi: Partial<Record<'cpu' | 'io' | 'memory', number>>;
}

function snapshot(): Snapshot {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const all = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const psi: Snapshot['psi'] = {};
  for (const r of ['cpu', 'io', 'memory'] as const) {
    try {
      const some = /^some .*total=(\d+)/m.exec(readFileSync(`/proc/pressure/${r}`, 'utf8'));
      if (some) psi[r] = Number(some[1]);
    } catch { /* no PSI on this kernel (or psi=0): the other figures still count */ }
  }
  return { ns: process.hrtime.bigint(), steal: cpu[7] ?? 0, all, psi };
}

const CANARY_DATA = Buffer.alloc(2 * 2 ** 20, 1);

/**
 * The canary: hashing 8 MiB, about 8 ms on one core here. It runs on hellobench's own thread
 * before the sample starts, so its time tracks how much CPU the machine has to spare.
 */
export function canaryMs(): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 4; i++) createHash('sha256').update(CANARY_DATA).digest();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

interface ProcCpu { ppid: number; ticks: number }

/** CPU ticks (user + system) and parent of every process, from /proc/<pid>/stat. */
export function processCpu(): Map<number, ProcCpu> {
  const all = new Map<number, ProcCpu>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${d}/stat`, 'utf8'); } catch { continue; } // exited meanwhile
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    all.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
  }
  return all;
}

/**
 * Ticks spent between two process tables by processes outside the lab. The lab is this
 * process and its descendants, and what descends from a process whose command line names the
 * lab's directory (the container shims, which leave containerd's tree).
 */
export function foreignTicks(a: Map<number, ProcCpu>, b: Map<number, ProcCpu>, labDir: string, self = process.pid): number {
  const labs = new Map<number, boolean>([[self, true], [0, false], [1, false], [2, false]]);
  const isLab = (pid: number): boolean => {
    const known = labs.get(pid);
    if (known !== undefined) return known;
    let mine = false;
    try { mine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(labDir); } catch { /* exited */ }
    const p = b.get(pid)?.ppid;
    if (!mine && p !== undefined) mine = isLab(p);
    labs.set(pid, mine);
    return mine;
  };
  let ticks = 0;
  for (const [pid, now] of b) {
    const d = now.ticks - (a.get(pid)?.ticks ?? 0);
    if (d <= 0 || pid === 2 || now.ppid === 2 || isLab(pid)) continue;
    ticks += d;
  }
  return ticks;
}

/** Watches the machine around each sample. One per run: the canary's fastest time and each cell's pressure reference are the run's. */
export class MachineWatch {
  private fastest = Infinity;

  /** `labDir`: the run's lab directory; processes naming it belong to the run. */
  constructor(private readonly labDir = join(LAB_BASE, `lab-${process.pid}`)) {}
  private readonly seen = new Map<string, { calm: MachineFigures[]; marked: MachineFigures[] }>();

  /**
   * The cell's reference pressure: the lowest its calm samples showed in this run (disturbance
   * only adds pressure). A cell whose own work stalls more than the fixed floor (short samples on
   * loopback) has none calm at first: after two samples marked by pressure alone, the lower of
   * those stands in.
   */
  reference(cell: string): PressureReference {
    const h = this.seen.get(cell);
    const from = h?.calm.length ? h.calm : h && h.marked.length >= 2 ? h.marked : [];
    const low = (k: 'cpu_pressure_pct' | 'io_pressure_pct') => {
      const v = from.flatMap((f) => (f[k] === undefined ? [] : [f[k]!]));
      return v.length ? Math.min(...v) : undefined;
    };
    const cpu = low('cpu_pressure_pct');
    const io = low('io_pressure_pct');
    return { ...(cpu !== undefined ? { cpu } : {}), ...(io !== undefined ? { io } : {}) };
  }

  /** Judges a sample of `cell` and keeps its figures for the cell's reference. */
  judge(cell: string, f: MachineFigures): string | undefined {
    const why = disturbance(f, this.reference(cell));
    const h = this.seen.get(cell) ?? { calm: [], marked: [] };
    // Only a sample marked by its pressure alone may stand in for a reference: one that
    // another cause marked (steal, foreign CPU, canary) says nothing of the cell.
    const { cpu_pressure_pct: _c, io_pressure_pct: _i, ...rest } = f;
    if (!why) h.calm.push(f);
    else if (!disturbance(rest)) h.marked.push(f);
    this.seen.set(cell, h);
    return why;
  }

  /** Times the canary a few times so the first samples have a reference. */
  calibrate(times = 5): number {
    for (let i = 0; i < times; i++) this.fastest = Math.min(this.fastest, canaryMs());
    return this.fastest;
  }

  /** Runs the canary and opens the sample's window; call the result when the sample ends. */
  begin(): () => MachineFigures {
    // The fastest of three: the lab's daemons, just restarted, may take one of them; a hog takes all.
    const canary = Math.min(canaryMs(), canaryMs(), canaryMs());
    this.fastest = Math.min(this.fastest, canary);
    const fastest = this.fastest;
    const procs = processCpu();
    const a = snapshot();
    return () => {
      const b = snapshot();
      const foreign = foreignTicks(procs, processCpu(), this.labDir);
      const wallUs = Number(b.ns - a.ns) / 1e3;
      const share = (r: 'cpu' | 'io' | 'memory') =>
        a.psi[r] !== undefined && b.psi[r] !== undefined && wallUs > 0 ? round(((b.psi[r]! - a.psi[r]!) / wallUs) * 100) : undefined;
      const all = b.all - a.all;
      const f: MachineFigures = {
        ...(all > 0 ? { steal_pct: round(((b.steal - a.steal) / all) * 100), foreign_cpu_pct: round(Math.min(100, (foreign / all) * 100)) } : {}),
        canary_ms: round(canary), canary_ratio: round(canary / fastest),
      };
      for (const [r, key] of [['cpu', 'cpu_pressure_pct'], ['io', 'io_pressure_pct'], ['memory', 'memory_pressure_pct']] as const) {
        const v = share(r);
        if (v !== undefined) f[key] = v;
      }
      return f;
    };
  }
}

const round = (v: number) => Math.round(v * 100) / 100;
/** One decimal: a figure just over its threshold must not print as equal to it. */
const pct = (v: number) => `${v.toFixed(1)}%`;
