// --shard i/n: which share of the selection one machine measures (run) or prepares (prepare).
import { UsageError } from './errors.ts';

/** A shard's share of the selection: every n-th image, so all modes of an image stay together. */
export function shardOf<T>(items: readonly T[], index: number, count: number): T[] {
  return items.filter((_, k) => k % count === index - 1);
}

export function parseShard(v: string, images: number): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || index < 1 || count < 1 || index > count) throw new UsageError(`--shard: expected i/n with 1 <= i <= n, such as 1/2, got "${v}"`);
  if (count > images) throw new UsageError(`--shard ${v}: the selection has ${images} image(s), so at most ${images} shards`);
  return { index, count };
}
