// Bytes the registry served, read from its JSON log ("response completed" lines carry
// http.response.written and the completion time), so a sample's fetches can be split
// by phase without touching the timed path.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** `at`: when the registry completed the response; `ms`: how long it took there (from the request's arrival). */
export interface Fetch { at: number; bytes: number; uri: string; status: number; ms?: number }

export class FetchLog {
  private offset: number;

  constructor(private readonly file: string) {
    this.offset = statSync(file).size;
  }

  /** Skips everything logged so far. */
  mark(): void {
    this.offset = statSync(this.file).size;
  }

  /** Blob and manifest responses logged since the last mark/read (times in ms since the epoch). */
  read(): Fetch[] {
    const size = statSync(this.file).size;
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n') + 1; // a half-written last line waits for the next read
    this.offset += Buffer.byteLength(text.slice(0, end));
    return parseFetches(text.slice(0, end));
  }
}

export function parseFetches(text: string): Fetch[] {
  const out: Fetch[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"response completed"')) continue;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      const uri = String(r['http.request.uri'] ?? '');
      if (r['http.request.method'] !== 'GET' || !/\/(blobs|manifests)\//.test(uri)) continue;
      out.push({
        at: Date.parse(String(r.time)),
        bytes: Number(r['http.response.written'] ?? 0),
        uri,
        status: Number(r['http.response.status'] ?? 0),
        ...(typeof r['http.response.duration'] === 'string' ? { ms: goDurationMs(r['http.response.duration']) } : {}),
      });
    } catch { /* not a JSON line */ }
  }
  return out;
}

/** Bytes and responses of fetches completed in [from, to) (ms since the epoch). */
export function fetchedBetween(fetches: Fetch[], from: number, to: number): { bytes: number; requests: number } {
  const within = fetches.filter((f) => f.at >= from && f.at < to);
  return { bytes: within.reduce((s, f) => s + f.bytes, 0), requests: within.length };
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration as the registry logs it ("3.709498ms", "1m2.5s", "850µs") in milliseconds. */
export function goDurationMs(s: string): number {
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * GO_UNITS[m[2]!]!;
  return ms;
}

/**
 * Round trips the fetches cost at least, over a link of `rttMs` that holds each packet half the
 * RTT each way: a request reached the registry at `at - ms`, so the client sent it half an RTT
 * before and had the whole answer half an RTT after `at`. Requests whose client-side spans
 * overlap form one group; groups that do not overlap each waited a full RTT of their own.
 */
export function roundTrips(fetches: readonly Fetch[], rttMs: number): number {
  const spans = fetches.map((f) => [f.at - (f.ms ?? 0), f.at] as const).sort((a, b) => a[0] - b[0]);
  let groups = 0;
  let end = -Infinity;
  for (const [start, done] of spans) {
    if (start >= end + rttMs) groups++;
    end = Math.max(end, done);
  }
  return groups;
}
