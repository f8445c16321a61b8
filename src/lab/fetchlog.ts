// Bytes the registry served, read from its JSON log ("response completed" lines carry
// http.response.written and the completion time), so a sample's fetches can be split
// by phase without touching the timed path.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface Fetch { at: number; bytes: number; uri: string; status: number }

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
