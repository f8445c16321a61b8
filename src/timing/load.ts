// The first seconds of service: an open load at a fixed rate against a server that has just
// come up. Each request is sent at its own due time whatever the earlier ones are doing, and
// its latency counts from that due time, so a server that stalls (its snapshotter fetching)
// shows the whole wait, queueing included (a closed loop would hide it by sending less).
// Answers are bucketed by the second they completed in. What a request is (an HTTP GET, a
// database query) is the target's; the schedule and the figures are the same for every target.
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadSecond } from '../results/sample.ts';
import { percentileSorted } from '../util/percentile.ts';
import { roundTo } from '../util/round.ts';

/** `requests`: at most this many in all; seconds x rate when absent. */
export interface LoadSpec { seconds: number; rate: number; requests?: number }

/** What the load sends, over its own connections: one request, and whether it was answered as it should be. */
export interface LoadTarget {
  send(): Promise<boolean>;
  close(): Promise<void>;
}

export interface LoadOutcome { sent: number; answered: number; errors: number; per_second: LoadSecond[] }

/** A request that has not answered after this long is an error. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** GETs of one URL over at most `connections` kept-alive connections: answered when 2xx and its body read. */
export function httpTarget(url: string, connections: number): LoadTarget {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  return {
    send: () => new Promise((resolve) => {
      const req = request(url, { agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300));
        res.on('error', () => resolve(false));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    }),
    close: async () => agent.destroy(),
  };
}

/** Sends min(requests, seconds x rate) requests at the rate, then waits for their answers; closes the target. */
export async function runLoad(spec: LoadSpec, target: LoadTarget): Promise<LoadOutcome> {
  const count = Math.min(spec.requests ?? Infinity, Math.round(spec.seconds * spec.rate));
  const seconds: { latencies: number[]; errors: number }[] = [];
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / spec.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(target.send().catch(() => false).then((ok) => {
        const now = performance.now();
        const b = (seconds[Math.floor((now - start) / 1000)] ??= { latencies: [], errors: 0 });
        if (ok) b.latencies.push(now - due);
        else b.errors++;
      }));
    }
    await Promise.all(inFlight);
  } finally {
    await target.close();
  }
  const per_second: LoadSecond[] = [];
  for (let i = 0; i < seconds.length; i++) {
    const b = seconds[i] ?? { latencies: [], errors: 0 };
    const sorted = Float64Array.from(b.latencies).sort();
    per_second.push({
      second: i, answered: sorted.length, errors: b.errors,
      ...(sorted.length ? { p50_ms: round(percentileSorted(sorted, 50)), p99_ms: round(percentileSorted(sorted, 99)) } : {}),
    });
  }
  const total = (k: 'answered' | 'errors') => per_second.reduce((n, s) => n + s[k], 0);
  return { sent: count, answered: total('answered'), errors: total('errors'), per_second };
}

const round = (ms: number) => roundTo(ms, 3);
