// The order of samples: every (workload, mode) once per round, in a seeded order so a run
// can be replayed. `shuffled`: the whole round shuffled, so drift spreads evenly over every
// cell. `blocked`: an image's modes back to back (the images' order and the modes' order within
// each block shuffled anew), so a speed-up compares samples taken a minute apart, not a round.
import { prng, shuffle } from '../util/random.ts';

export interface Planned<W, M> { workload: W; mode: M; round: number }

export const ORDERS = ['blocked', 'shuffled'] as const;
export type Order = (typeof ORDERS)[number];
/**
 * Shuffled: on a 2-core VM it gave the narrowest speed-up intervals of the three default runs
 * of experiments/stability.sh (docs/noisy-machines.md, "How stable the numbers are"); with disturbed samples set
 * aside, little drift is left for blocked pairs to cancel.
 */
export const DEFAULT_ORDER: Order = 'shuffled';

/** Rounds in order, each drawn when asked for: a run that samples until sure does not know how many it needs. */
export function* rounds<W, M>(workloads: readonly W[], modes: readonly M[], seed: number, order: Order): Generator<Planned<W, M>[], never> {
  const rand = prng(seed);
  for (let round = 0; ; round++) {
    if (order === 'shuffled') {
      yield shuffle(workloads.flatMap((workload) => modes.map((mode) => ({ workload, mode }))), rand).map((p) => ({ ...p, round }));
    } else {
      yield shuffle(workloads, rand).flatMap((workload) => shuffle(modes, rand).map((mode) => ({ workload, mode, round })));
    }
  }
}

/** The first `n` rounds, one list. */
export function plan<W, M>(workloads: readonly W[], modes: readonly M[], n: number, seed: number, order: Order = DEFAULT_ORDER): Planned<W, M>[] {
  const out: Planned<W, M>[] = [];
  const gen = rounds(workloads, modes, seed, order);
  for (let r = 0; r < n; r++) out.push(...gen.next().value);
  return out;
}
