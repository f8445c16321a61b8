// Measures the link before the samples: round-trip time of a small request, the time a
// fresh TCP connection takes to open, and the throughput of a large blob, all through the
// same path the samples use.
import { LabError } from './errors.ts';
import { createCipheriv, createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import type { LinkSpec } from './link.ts';

const PROBE_REPO = 'hellobench/link-probe';
const TOLERANCE = 0.10;

export interface ProbeResult {
  /** Round-trip time the link adds: a request through the link minus the same request direct. */
  rtt_ms: number;
  /** The raw minima behind rtt_ms. */
  request_ms: { link: number; direct: number };
  /** What opening a TCP connection through the link adds (a handshake: one RTT on a real link). */
  connect_ms: number;
  throughput_bps: number;
  probe_bytes: number;
  /** Lines saying where the measured link is off the profile by more than 10% (connect: or 2 ms). */
  warnings: string[];
}

/** Incompressible, deterministic probe data. */
function probeData(size: number): Buffer {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16));
  return cipher.update(Buffer.alloc(size));
}

/** Pushes the probe blob (monolithic upload) unless the registry has it; returns its digest. */
export async function pushProbeBlob(directHost: string, size: number): Promise<string> {
  const data = probeData(size);
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const head = await fetch(`http://${directHost}/v2/${PROBE_REPO}/blobs/${digest}`, { method: 'HEAD' });
  if (head.ok) return digest;
  const start = await fetch(`http://${directHost}/v2/${PROBE_REPO}/blobs/uploads/`, { method: 'POST' });
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw new LabError(`link probe: the lab registry refused the upload (HTTP ${start.status}); its log is in the lab directory`);
  const url = new URL(location, `http://${directHost}`);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, { method: 'PUT', body: new Uint8Array(data), headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new LabError(`link probe: the upload to the lab registry failed (HTTP ${put.status}); its log is in the lab directory`);
  return digest;
}

/** One GET (on `agent`'s kept-alive connection, or a fresh one): seconds to the first byte and to the last. */
function timedGet(url: string, agent: Agent | false = false): Promise<{ first: number; last: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const s = (t: bigint) => Number(t - t0) / 1e9;
    const req = request(url, { agent }, (res) => {
      let first = -1;
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        if (first < 0) first = s(process.hrtime.bigint());
        bytes += c.length;
      });
      res.on('end', () => resolve({ first: first < 0 ? s(process.hrtime.bigint()) : first, last: s(process.hrtime.bigint()), bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Milliseconds until a fresh TCP connection to host:port is open (the SYN, SYN-ACK round trip). */
function connectTime(hostPort: string): Promise<number> {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const s = connect({ host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) }, () => {
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      s.destroy();
    });
    s.on('error', reject);
  });
}

/**
 * RTT: the fastest of 20 small requests on one kept-alive connection through the link, less
 * the fastest of the same requests straight to the registry (client and server time are not
 * network).
 * Connect: the fastest of 10 fresh TCP connections through the link, less the same made
 * straight to the registry; a link that delays bytes, not packets, would show about 0.
 * Throughput: the probe blob's bytes over the time from its first to its last byte.
 */
export async function probeLink(host: string, directHost: string, digest: string, spec: LinkSpec): Promise<ProbeResult> {
  const requestMs = async (h: string) => {
    // One kept-alive connection: connection set-up stays out of the round trips measured.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const t: number[] = [];
    for (let i = 0; i < 21; i++) t.push((await timedGet(`http://${h}/v2/`, agent)).last * 1000);
    agent.destroy();
    // The fastest round trip, as ping's minimum: load on a 2-core machine only adds to it.
    return Math.min(...t.slice(1));
  };
  const link = await requestMs(host);
  const direct = await requestMs(directHost);
  const rtt = link - direct;
  const connectMs = async (h: string) => {
    const t: number[] = [];
    for (let i = 0; i < 10; i++) t.push(await connectTime(h));
    return Math.min(...t);
  };
  const connectAdded = await connectMs(host) - await connectMs(directHost);
  const runs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 2; i++) {
    const g = await timedGet(`http://${host}/v2/${PROBE_REPO}/blobs/${digest}`);
    bytes = g.bytes;
    runs.push((g.bytes * 8) / Math.max(g.last - g.first, 1e-6));
  }
  const throughput = Math.max(...runs);
  const warnings: string[] = [];
  const off = (measured: number, want: number) => Math.abs(measured / want - 1) > TOLERANCE;
  if (spec.rttMs && off(rtt, spec.rttMs)) warnings.push(`measured RTT ${rtt.toFixed(1)} ms is more than 10% off the profile's ${spec.rttMs} ms`);
  // A handshake is timed to the microsecond, but on a 1 ms link a scheduler's hiccup is 10%.
  const connectSlack = Math.max(2, TOLERANCE * (spec.rttMs ?? 0));
  if (Math.abs(connectAdded - (spec.rttMs ?? 0)) > connectSlack) {
    warnings.push(`measured TCP connect ${connectAdded.toFixed(1)} ms is more than ${connectSlack.toFixed(1)} ms off the profile's RTT of ${spec.rttMs ?? 0} ms`);
  }
  if (spec.bandwidth && off(throughput, spec.bandwidth)) {
    warnings.push(`measured throughput ${(throughput / 1e6).toFixed(1)} Mbit/s is more than 10% off the profile's ${(spec.bandwidth / 1e6).toFixed(0)} Mbit/s`);
  }
  return { rtt_ms: rtt, request_ms: { link, direct }, connect_ms: connectAdded, throughput_bps: throughput, probe_bytes: bytes, warnings };
}

/** Probe size: about two seconds at the link's rate, between 8 and 128 MiB. */
export function probeSize(spec: LinkSpec): number {
  const want = spec.bandwidth ? (spec.bandwidth / 8) * 2 : 64 * 2 ** 20;
  return Math.min(128 * 2 ** 20, Math.max(8 * 2 ** 20, Math.round(want / 2 ** 20) * 2 ** 20));
}
