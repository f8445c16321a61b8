// Readiness as the sampler observes it beside a process: the first successful HTTP answer
// (a readiness probe's view of a server), or a line in a file a runtime writes the
// container's output to. Each resolves at the moment it sees it; both poll briefly.
import { closeSync, openSync, readSync } from 'node:fs';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Workload } from '../catalog/schema.ts';

/** How often a readiness condition is checked: a small fraction of any start-up measured here. */
export const POLL_MS = 5;

export interface HttpCheck { url: string; expect?: string }

/** One GET: the body when it answered 2xx, null when it did not (yet). */
export function httpGet(url: string, timeoutMs = 1000): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    // A fresh connection each time (no agent): a probe does not reuse a half-open socket.
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Resolves with the body at the first 2xx answer that holds `expect`; polls until `signal` aborts. */
export async function untilHttp(check: HttpCheck, signal: AbortSignal): Promise<string | undefined> {
  while (!signal.aborted) {
    const r = await httpGet(check.url);
    if (r && r.status >= 200 && r.status < 300 && (check.expect === undefined || r.body.includes(check.expect))) return r.body;
    await sleep(POLL_MS).catch(() => {});
  }
  return undefined;
}

/** Resolves when `file` holds a line containing `line` (the file may not exist yet); polls until `signal` aborts. */
export async function untilFileLine(file: string, line: string, signal: AbortSignal): Promise<boolean> {
  let text = '';
  let offset = 0;
  const buf = Buffer.alloc(64 * 1024);
  while (!signal.aborted) {
    try {
      const fd = openSync(file, 'r');
      try {
        for (let n; (n = readSync(fd, buf, 0, buf.length, offset)) > 0; offset += n) text += buf.toString('utf8', 0, n);
      } finally {
        closeSync(fd);
      }
      const nl = text.lastIndexOf('\n');
      if (nl >= 0 && text.slice(0, nl).split('\n').some((l) => l.includes(line))) return true;
    } catch { /* not written yet */ }
    await sleep(POLL_MS).catch(() => {});
  }
  return false;
}

/** What a server workload waits for, in messages. */
export function readyWhat(w: Workload): string {
  return w.ready ? `HTTP answer on port ${w.ready.http.port} ${w.ready.http.path}${w.ready.http.expect ? ` with "${w.ready.http.expect}"` : ''}` : `wait line "${w.waitline}"`;
}

/** The workload's readiness probe against `host`. */
export function httpCheck(w: Workload, host: string): HttpCheck {
  const h = w.ready!.http;
  return { url: `http://${host}:${h.port}${h.path}`, ...(h.expect !== undefined ? { expect: h.expect } : {}) };
}
