// The emulated link between the runtime and the registry: a network namespace of the
// lab's own holding the registry, a veth pair rate-limited with tbf, and round-trip
// time from a delaying relay (this kernel has no netem). Every byte of a pull crosses it.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { tool } from './tools.ts';

export interface LinkSpec {
  profile: string;
  /** Bits per second; absent: no rate limit. */
  bandwidth?: number;
  /** Round-trip time added, in milliseconds; absent or 0: none. */
  rttMs?: number;
}

export const PROFILES: Record<string, Omit<LinkSpec, 'profile'>> = {
  loopback: {},
  lan: { bandwidth: 1e9, rttMs: 1 },
  wan: { bandwidth: 100e6, rttMs: 20 },
  slow: { bandwidth: 20e6, rttMs: 60 },
};

export const DEFAULT_PROFILE = 'wan';

export class LinkError extends Error {}

/** Parses "50mbit", "1gbit", "800kbit", "1000000" (bits per second). */
export function parseBandwidth(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(|bit|kbit|mbit|gbit)$/i.exec(s.trim());
  if (!m) throw new LinkError(`--bandwidth: "${s}" is not a rate; write it like 50mbit, 1gbit or 800kbit`);
  const unit = { '': 1, bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2]!.toLowerCase() as '' | 'bit' | 'kbit' | 'mbit' | 'gbit'];
  const v = Number(m[1]) * unit;
  if (v < 8000) throw new LinkError(`--bandwidth: ${s} is below 8kbit, too slow to pull an image`);
  return v;
}

/** Parses "30ms", "0.5s", "20" (milliseconds). */
export function parseRtt(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(|ms|s)$/i.exec(s.trim());
  if (!m) throw new LinkError(`--rtt: "${s}" is not a duration; write it like 30ms or 0.2s`);
  return Number(m[1]) * (m[2]!.toLowerCase() === 's' ? 1000 : 1);
}

/** The link for a profile name with optional overrides. */
export function resolveLink(profile: string, bandwidth?: string, rtt?: string): LinkSpec {
  const base = PROFILES[profile];
  if (!base) throw new LinkError(`--link: unknown profile "${profile}": choose from ${Object.keys(PROFILES).join(', ')}, or give --bandwidth/--rtt`);
  const spec: LinkSpec = { profile, ...base };
  if (bandwidth !== undefined) spec.bandwidth = parseBandwidth(bandwidth);
  if (rtt !== undefined) spec.rttMs = parseRtt(rtt);
  if ((bandwidth !== undefined || rtt !== undefined) && profile === 'loopback') {
    throw new LinkError('--bandwidth/--rtt shape a link, and the loopback profile has none: pick another --link (e.g. wan) to override');
  }
  if (bandwidth !== undefined || rtt !== undefined) spec.profile = `${profile}+custom`;
  return spec;
}

export function describe(spec: LinkSpec): string {
  const bw = spec.bandwidth === undefined ? 'unlimited' : spec.bandwidth >= 1e9 ? `${spec.bandwidth / 1e9} Gbit/s` : `${spec.bandwidth / 1e6} Mbit/s`;
  return `${spec.profile} (${bw}, RTT ${spec.rttMs ?? 0} ms)`;
}

/** Names and addresses of one lab's link, unique per lab (derived from its PID). */
export class NetNs {
  readonly ns: string;
  readonly hostIf: string;
  readonly nsIf: string;
  readonly hostAddr: string;
  readonly nsAddr: string;

  constructor(readonly id: number) {
    this.ns = `hellobench-${id}`;
    this.hostIf = `hbh${id}`;
    this.nsIf = `hbn${id}`;
    // One /30 of the benchmarking range 198.18.0.0/15 per lab, so labs never collide.
    const slot = (id % 32768) * 4;
    const a = 18 + (slot >> 16);
    this.hostAddr = `198.${a}.${(slot >> 8) & 255}.${(slot & 255) + 1}`;
    this.nsAddr = `198.${a}.${(slot >> 8) & 255}.${(slot & 255) + 2}`;
  }

  /** argv prefix that runs a command inside the namespace. */
  exec(): string[] {
    return [tool('ip'), 'netns', 'exec', this.ns];
  }

  async create(): Promise<void> {
    const ip = tool('ip');
    const run = async (args: string[]) => {
      const r = await execa(ip, args, { reject: false });
      if (r.exitCode !== 0) throw new LinkError(`link setup: ip ${args.join(' ')}: ${r.stderr.trim()}`);
    };
    await run(['netns', 'add', this.ns]);
    await run(['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf]);
    await run(['link', 'set', this.nsIf, 'netns', this.ns]);
    await run(['addr', 'add', `${this.hostAddr}/30`, 'dev', this.hostIf]);
    await run(['link', 'set', this.hostIf, 'up']);
    await run(['-n', this.ns, 'addr', 'add', `${this.nsAddr}/30`, 'dev', this.nsIf]);
    await run(['-n', this.ns, 'link', 'set', this.nsIf, 'up']);
    await run(['-n', this.ns, 'link', 'set', 'lo', 'up']);
  }

  /** Rate-limits both directions of the veth with tbf, or removes the limit (rate undefined). */
  async shape(rate: number | undefined): Promise<void> {
    for (const [dev, inNs] of [[this.nsIf, true], [this.hostIf, false]] as const) {
      const prefix = inNs ? ['-n', this.ns] : [];
      if (rate === undefined) {
        await execa(tool('tc'), [...prefix, 'qdisc', 'del', 'dev', dev, 'root'], { reject: false });
        continue;
      }
      // burst: 10 ms of traffic at the rate (at least 64 KiB, so GSO segments pass whole);
      // latency bounds the queue, as a router's buffer would.
      const burst = Math.max(65536, Math.round(rate / 8 / 100));
      const r = await execa(tool('tc'), [...prefix, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${Math.round(rate)}bit`, 'burst', String(burst), 'latency', '100ms'], { reject: false });
      if (r.exitCode !== 0) throw new LinkError(`link setup: tc tbf on ${dev}: ${r.stderr.trim()} (the kernel needs sch_tbf)`);
    }
  }

  /** Bytes the host side has received from the namespace (the registry's replies), headers included. */
  hostRxBytes(): number {
    return Number(readFileSync(`/sys/class/net/${this.hostIf}/statistics/rx_bytes`, 'utf8'));
  }

  /** Removes the namespace (and with it the veth pair and its qdiscs). */
  async remove(): Promise<void> {
    // Whatever still runs inside the namespace was started by this lab (registry, relay).
    const pids = await execa(tool('ip'), ['netns', 'pids', this.ns], { reject: false });
    for (const pid of pids.stdout.split('\n').map(Number).filter((n) => n > 0)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await execa(tool('ip'), ['link', 'del', this.hostIf], { reject: false });
    await execa(tool('ip'), ['netns', 'del', this.ns], { reject: false });
  }
}

/** Namespaces left by labs whose process is gone (name hellobench-<pid>). */
export async function staleNamespaces(isAlive: (pid: number) => boolean): Promise<NetNs[]> {
  const r = await execa(tool('ip'), ['netns', 'list'], { reject: false });
  return r.stdout.split('\n').map((l) => /^hellobench-(\d+)\b/.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1])).filter((pid) => pid !== process.pid && !isAlive(pid)).map((pid) => new NetNs(pid));
}
