// The order of samples: every (workload, mode) once per round, shuffled anew each
// round with a seeded generator so drift spreads evenly and a run can be replayed.

/** mulberry32: a small, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle into a new array. */
export function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface Planned<W, M> { workload: W; mode: M; round: number; index: number }

export function plan<W, M>(workloads: readonly W[], modes: readonly M[], rounds: number, seed: number): Planned<W, M>[] {
  const pairs = workloads.flatMap((workload) => modes.map((mode) => ({ workload, mode })));
  const rand = prng(seed);
  const out: Planned<W, M>[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const p of shuffle(pairs, rand)) out.push({ ...p, round, index: out.length });
  }
  return out;
}
