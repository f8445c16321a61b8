// What a snapshotter daemon counts of its own reads, asked over its local API socket: nydusd's
// JSON metrics, and the Prometheus text the stargz and SOCI daemons serve.
import { request } from 'node:http';

/** The metrics socket's name in a daemon's directory. */
export const METRICS_SOCKET = 'metrics.sock';

/** GET `path` over a unix socket: the body of a 200 answer, else an error naming `who`. */
export function unixGet(socketPath: string, path: string, who: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${who} ${socketPath}: ${path} answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${who} ${socketPath}: ${path} did not answer within 2 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** The sum over every series of `metric` whose labels include `labels`, in Prometheus's text format (0 when none). */
export function promSum(text: string, metric: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}
