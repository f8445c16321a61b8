// What the machine did while the lab measured: the figures kept on every sample and the
// checks run before each round. Data only; src/bench/machine.ts takes and judges them.
import { z } from 'zod';

/** Per-sample figures, all over the sample's own window (pull start to run end). */
export interface MachineFigures {
  /** CPU time the hypervisor gave to others, as a share of the machine's CPU time, percent. */
  steal_pct?: number;
  /**
   * Share of wall time in which some task stalled waiting for the resource (PSI "some"), percent:
   * the lab's own tasks where the kernel keeps pressure per cgroup (`pressure_of: 'lab'`), else
   * the whole machine's.
   */
  cpu_pressure_pct?: number;
  io_pressure_pct?: number;
  memory_pressure_pct?: number;
  pressure_of?: 'lab' | 'machine';
  /**
   * CPU time taken outside the lab, as a share of the machine's CPU time, percent: the machine's
   * busy time less the lab's cgroup (hellobench, its daemons, their containers) and kernel
   * threads (they work for everyone). Processes that start and end inside the sample count.
   */
  foreign_cpu_pct?: number;
  /** The part of it run at low priority (nice > 0). */
  low_priority_cpu_pct?: number;
  /**
   * What competed with the lab: foreign CPU at normal priority, plus low-priority CPU weighed by
   * the low-priority weight (src/bench/machine.ts). The disturbance verdict reads this.
   */
  competing_cpu_pct?: number;
  /** A fixed CPU load timed just before the sample, in ms, and its ratio to the calm machine's (src/bench/machine.ts). */
  canary_ms: number;
  canary_ratio: number;
}

/** A machine check (src/bench/machine.ts): the machine with the lab idle, before a round. */
export const MachineCheckSchema = z.object({
  at: z.string(),
  /** The round it came before (0-based). */
  round: z.number().int(),
  seconds: z.number(),
  /** Median of the canaries timed during the check, ms. */
  canary_ms: z.number(),
  steal_pct: z.number().optional(),
  foreign_cpu_pct: z.number().optional(),
  low_priority_cpu_pct: z.number().optional(),
  competing_cpu_pct: z.number().optional(),
  /** The whole machine's CPU pressure over the check. */
  cpu_pressure_pct: z.number().optional(),
  /** Why the machine counted as busy (the first figure over its threshold), against the calm reference. */
  busy: z.string().optional(),
});
export type MachineCheck = z.infer<typeof MachineCheckSchema>;

