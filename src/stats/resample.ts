// The median of a bootstrap resample, drawn from its exact distribution instead of from the
// resample. A resample of n sorted values picks n indices, each uniform over 0..n-1, and its
// median is the mean of the values at the k-th and (n+1-k)-th smallest picks (k = ceil(n/2)).
// Which indices those are depends on n alone: their distribution is worked out once per n
// (binomial sums), and each resample then costs one uniform draw instead of n. A report or a
// history makes 2000 resamples for each of thousands of groups.

/**
 * Probabilities below this are left out of the sums and outcomes: never drawn (the generator's
 * resolution is 2^-32), they would only lengthen the far tails of large groups.
 */
const NEGLIGIBLE = 1e-17;

/** log C(n, k). */
function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let t = 1; t <= k; t++) sum += Math.log((n - k + t) / t);
  return sum;
}

/** P(X = k) for X ~ Binomial(n, p), in logarithms so that no factor overflows. */
function exactly(n: number, k: number, p: number, logNK: number): number {
  return Math.exp(logNK + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** P(X >= k) for X ~ Binomial(n, p), 0 < p < 1, summed outwards from atK = P(X = k). */
function atLeast(n: number, k: number, p: number, atK: number): number {
  const odds = p / (1 - p);
  let sum = 0;
  if (k > n * p) {
    for (let j = k, term = atK; j <= n && term > NEGLIGIBLE; j++) {
      sum += term;
      term *= ((n - j) / (j + 1)) * odds;
    }
    return sum;
  }
  for (let j = k - 1, term = (atK * k) / (n - k + 1) / odds; j >= 0 && term > NEGLIGIBLE; j--) {
    sum += term;
    term *= j / (n - j + 1) / odds;
  }
  return 1 - sum;
}

/** Where a resample's middle picks fall: its possible outcomes, with cumulative probabilities. */
export interface MiddleLaw {
  /** Ascending, the last one 1. */
  cdf: Float64Array;
  /** The lower and upper middle picks of each outcome (the same pick for odd n). */
  lower: Int32Array;
  upper: Int32Array;
  /** guide[g]: the first outcome whose cumulative probability exceeds g / guide.length. */
  guide: Int32Array;
}

export function middleLaw(n: number): MiddleLaw {
  const k = (n + 1) >> 1;
  const logNK = logChoose(n, k);
  const cdf: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  const add = (c: number, lo: number, hi: number) => {
    cdf.push(c);
    lower.push(lo);
    upper.push(hi);
  };
  let below = 0;
  for (let i = 0; i < n; i++) {
    const p = (i + 1) / n;
    const atK = i === n - 1 ? 0 : exactly(n, k, p, logNK);
    // P(lower middle pick <= i) = P(at least k picks <= i); the running max absorbs rounding.
    const upTo = i === n - 1 ? 1 : Math.max(below, atLeast(n, k, p, atK));
    if (upTo === below) continue;
    if (n % 2 === 0) {
      // The upper middle pick is above i when exactly k picks are <= i, not all of them below i.
      // It is then the smallest of the n - k other picks, each uniform over the r indices above i.
      const above = atK * -Math.expm1(k * Math.log1p(-1 / (i + 1)));
      const r = n - 1 - i;
      let c = below;
      for (let t = 0, tail = 1; t < r && above * tail > NEGLIGIBLE; t++) {
        const next = Math.exp((n - k) * Math.log1p(-(t + 1) / r));
        c += above * (tail - next);
        add(Math.min(c, upTo), i, i + 1 + t);
        tail = next;
      }
    }
    add(upTo, i, i);
    below = upTo;
  }
  const guide = new Int32Array(cdf.length);
  for (let g = 0, at = 0; g < guide.length; g++) {
    while (cdf[at]! <= g / guide.length) at++;
    guide[g] = at;
  }
  return { cdf: Float64Array.from(cdf), lower: Int32Array.from(lower), upper: Int32Array.from(upper), guide };
}

/** One law per group size: a process sees few sizes, each drawn from thousands of times. */
const laws = new Map<number, MiddleLaw>();

function lawOf(n: number): MiddleLaw {
  let law = laws.get(n);
  if (!law) laws.set(n, (law = middleLaw(n)));
  return law;
}

/** Medians of bootstrap resamples of `sorted` (ascending), each distributed exactly as a drawn resample's. */
export class ResampledMedian {
  private readonly law: MiddleLaw;

  constructor(private readonly sorted: Float64Array) {
    this.law = lawOf(sorted.length);
  }

  /** Inversion of the law's distribution function, started where its guide points. */
  draw(rand: () => number): number {
    const { cdf, lower, upper, guide } = this.law;
    const u = rand();
    let at = guide[Math.floor(u * guide.length)]!;
    while (cdf[at]! <= u) at++;
    return (this.sorted[lower[at]!]! + this.sorted[upper[at]!]!) / 2;
  }
}
