// What the kernel says about the machine while a sample runs, and whether that makes the
// sample disturbed: on a shared machine (laptop, CI runner, cloud VM) a slow sample may be
// the machine's fault, not the snapshotter's. The figures are kept on every sample; the
// verdict names the figure that crossed its threshold.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { median } from 'simple-statistics';
import type { LabUsage, Resource } from '../lab/accounting.ts';
import type { MachineCheck, MachineFigures } from '../results/machine.ts';
import { roundTo } from '../util/round.ts';

export type { MachineCheck, MachineFigures };

/**
 * Thresholds, set from runs on a 2-core VM with and without loads beside the lab
 * (docs/noisy-machines.md); another lab cannot run beside this one (src/lab/lock.ts).
 * Pressure is judged against the cell's own: a FUSE system's samples stall on I/O for ~40%
 * of their time on a calm machine, a legacy pull's for ~5%.
 */
export const THRESHOLDS = {
  steal_pct: 5,
  /**
   * CPU that competed with the lab, share of the machine. Beside loads of 10-15%, lazy samples
   * were 7% slower (median), legacy ones 2%; calm samples show 0-4% (docs/noisy-machines.md).
   */
  competing_cpu_pct: 10,
  /**
   * How much a CPU second at low priority (nice > 0) competes, against one at normal priority:
   * beside a nice-19 busy loop (45% of the machine) lazy samples were 9.7% slower and legacy ones
   * 2.2%, beside a normal one (40-60%) 11.7% and 3.0% (a waking task waits out the running
   * one's slice, whatever its nice).
   */
  low_priority_weight: 0.75,
  memory_pressure_pct: 5,
  /** Samples the canary alone marked at 1.5-1.8x were no slower than their cell's others (docs/noisy-machines.md). */
  canary_ratio: 2,
  /** CPU or I/O pressure counts when it passes the cell's reference by this many points... */
  pressure_margin: 15,
  /** ...and this floor; */
  pressure_floor: 25,
  /** for a cell's first sample (no reference yet), I/O pressure counts above this. */
  io_pressure_unreferenced: 50,
  /** A machine check before a round whose canary is this much over the machine's calm reference says the machine is busy. */
  check_canary_ratio: 1.25,
} as const;

/** The pressure a cell shows on a calm machine (see MachineWatch.reference). */
export interface PressureReference { cpu?: number; io?: number }

/** Why the sample counts as disturbed (the first figure over its threshold), or undefined. */
export function disturbance(f: MachineFigures, ref: PressureReference = {}, t = THRESHOLDS): string | undefined {
  if (f.steal_pct !== undefined && f.steal_pct > t.steal_pct) return `CPU steal ${pct(f.steal_pct)} > ${t.steal_pct}%`;
  // Samples older than the competing share judged all CPU outside the lab.
  const competing = f.competing_cpu_pct ?? f.foreign_cpu_pct;
  if (competing !== undefined && competing > t.competing_cpu_pct) return `CPU taken outside the lab ${pct(competing)} > ${t.competing_cpu_pct}%`;
  if (f.canary_ratio > t.canary_ratio) return `canary ${f.canary_ratio.toFixed(2)}x the calm machine's > ${t.canary_ratio}x`;
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

/** What a disturbance names, without its figures: "CPU taken outside the lab", "canary", "I/O pressure". */
export const disturbanceKind = (why: string) => why.split(/\s+\d/)[0]!;

/** The lab's counters (src/lab/accounting.ts); undefined without a lab (unit tests). */
export type LabUsageReader = () => LabUsage | undefined;

/** Counters at one instant; figures are differences of two. */
export interface Snapshot {
  ms: number;
  /** /proc/stat's first line, jiffies: user nice system idle iowait irq softirq steal. */
  cpu: number[];
  /** CPU ticks of kernel threads (kthreadd and its children). */
  kernel: number;
  /** PSI "some" totals of the machine, µs. */
  psi: Partial<Record<Resource, number>>;
  lab?: LabUsage;
}

/** USER_HZ: /proc's tick, 100 on every Linux architecture hellobench runs on. */
const TICK_NS = 1e7;

/** CPU ticks (user + system) of kernel threads, from /proc/<pid>/stat. */
function kernelTicks(): number {
  let ticks = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${d}/stat`, 'utf8'); } catch { continue; } // exited meanwhile
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (d === '2' || f[1] === '2') ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks;
}

export function snapshot(lab: LabUsageReader = () => undefined): Snapshot {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const psi: Snapshot['psi'] = {};
  for (const r of ['cpu', 'io', 'memory'] as const) {
    try {
      const some = /^some .*total=(\d+)/m.exec(readFileSync(`/proc/pressure/${r}`, 'utf8'));
      if (some) psi[r] = Number(some[1]);
    } catch { /* no PSI on this kernel (or psi=0): the other figures still count */ }
  }
  const usage = lab();
  return { ms: performance.now(), cpu, kernel: kernelTicks(), psi, ...(usage ? { lab: usage } : {}) };
}

/**
 * Shares of the machine's CPU time between two snapshots, percent. Guest time is inside user;
 * irq and softirq are left out of "busy" as the lab's own packets and disk interrupts land there.
 */
export function cpuShares(a: Snapshot, b: Snapshot): Pick<MachineFigures, 'steal_pct' | 'foreign_cpu_pct' | 'low_priority_cpu_pct' | 'competing_cpu_pct'> {
  const d = b.cpu.map((v, i) => v - (a.cpu[i] ?? 0));
  const all = d.reduce((x, y) => x + y, 0);
  if (all <= 0) return {};
  const [user = 0, nice = 0, system = 0, , , , , steal = 0] = d;
  const share = (ns: number) => round(Math.min(100, Math.max(0, (ns / (all * TICK_NS)) * 100)));
  const out: ReturnType<typeof cpuShares> = { steal_pct: share(steal * TICK_NS) };
  if (!a.lab || !b.lab) return out;
  const foreign = Math.max(0, (user + nice + system - (b.kernel - a.kernel)) * TICK_NS - (b.lab.cpu_ns - a.lab.cpu_ns));
  const low = Math.min(foreign, nice * TICK_NS);
  return { ...out, foreign_cpu_pct: share(foreign), low_priority_cpu_pct: share(low), competing_cpu_pct: share(foreign - low + THRESHOLDS.low_priority_weight * low) };
}

/** PSI shares between two snapshots: the lab's where its cgroup keeps them, else the machine's. */
function pressures(a: Snapshot, b: Snapshot): Pick<MachineFigures, 'cpu_pressure_pct' | 'io_pressure_pct' | 'memory_pressure_pct' | 'pressure_of'> {
  const lab = a.lab && b.lab && Object.keys(b.lab.pressure).length > 0;
  const [pa, pb] = lab ? [a.lab!.pressure, b.lab!.pressure] : [a.psi, b.psi];
  const wallUs = (b.ms - a.ms) * 1e3;
  const out: ReturnType<typeof pressures> = {};
  for (const [r, key] of [['cpu', 'cpu_pressure_pct'], ['io', 'io_pressure_pct'], ['memory', 'memory_pressure_pct']] as const) {
    if (pa[r] !== undefined && pb[r] !== undefined && wallUs > 0) out[key] = round(((pb[r]! - pa[r]!) / wallUs) * 100);
  }
  if (Object.keys(out).length) out.pressure_of = lab ? 'lab' : 'machine';
  return out;
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

/** The fastest of three: the lab's daemons, just restarted, may take one of them; a hog takes all. */
const canaryOf3 = () => Math.min(canaryMs(), canaryMs(), canaryMs());

/** Whether a check finds the machine busy: steal, competing CPU, or a canary slower than the calm reference's. */
export function checkBusy(c: Omit<MachineCheck, 'busy'>, calmCanary: number | undefined, t = THRESHOLDS): string | undefined {
  if (c.steal_pct !== undefined && c.steal_pct > t.steal_pct) return `CPU steal ${pct(c.steal_pct)} > ${t.steal_pct}%`;
  if (c.competing_cpu_pct !== undefined && c.competing_cpu_pct > t.competing_cpu_pct) return `CPU taken outside the lab ${pct(c.competing_cpu_pct)} > ${t.competing_cpu_pct}%`;
  if (calmCanary !== undefined && c.canary_ms > calmCanary * t.check_canary_ratio) return `canary ${(c.canary_ms / calmCanary).toFixed(2)}x the calm machine's > ${t.check_canary_ratio}x`;
  return undefined;
}

/**
 * Watches the machine around each sample. One per run: the canary's fastest time and each cell's
 * pressure reference are the run's; `calmCanary` is the machine's from earlier runs (reference.ts).
 */
export class MachineWatch {
  private fastest = Infinity;
  private readonly seen = new Map<string, { calm: MachineFigures[]; marked: MachineFigures[] }>();

  constructor(private readonly lab: LabUsageReader = () => undefined, private readonly calmCanary?: number) {}

  /** The canary time samples are judged against: the calm machine's, or this run's fastest when that is faster. */
  calm(): number {
    return Math.min(this.fastest, this.calmCanary ?? Infinity);
  }

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

  /**
   * The machine with the lab idle for `seconds`: canaries every 100 ms, and what others took
   * meanwhile. Its canaries also set the run's fastest, so the first sample has a reference.
   */
  async check(beforeRound: number, seconds = 2): Promise<MachineCheck> {
    const a = snapshot(this.lab);
    const canaries: number[] = [];
    while (performance.now() - a.ms < seconds * 1000) {
      canaries.push(canaryOf3());
      await new Promise((r) => setTimeout(r, 100));
    }
    const b = snapshot(this.lab);
    const canary = median(canaries);
    this.fastest = Math.min(this.fastest, ...canaries);
    const { pressure_of: _, ...p } = pressures({ ...a, lab: undefined }, { ...b, lab: undefined });
    const c: Omit<MachineCheck, 'busy'> = {
      at: new Date().toISOString(), round: beforeRound, seconds: round((b.ms - a.ms) / 1000), canary_ms: round(canary),
      ...cpuShares(a, b), ...(p.cpu_pressure_pct !== undefined ? { cpu_pressure_pct: p.cpu_pressure_pct } : {}),
    };
    const busy = checkBusy(c, this.calmCanary);
    return { ...c, ...(busy ? { busy } : {}) };
  }

  /** Runs the canary and opens the sample's window; call the result when the sample ends. */
  begin(): () => MachineFigures {
    const canary = canaryOf3();
    this.fastest = Math.min(this.fastest, canary);
    const calm = this.calm();
    const a = snapshot(this.lab);
    return () => {
      const b = snapshot(this.lab);
      return { ...cpuShares(a, b), ...pressures(a, b), canary_ms: round(canary), canary_ratio: round(canary / calm) };
    };
  }
}

const round = (v: number) => roundTo(v, 2);
/** One decimal: a figure just over its threshold must not print as equal to it. */
const pct = (v: number) => `${v.toFixed(1)}%`;
