// The emulated link between the runtime and the registry: a network namespace of the
// lab's own holding the registry, reached two ways. Samples go through a TUN pair joined
// by the delay line (tools/delay-line: this kernel has no netem), which holds every packet
// for half the RTT each way, with tbf on both devices: TCP's handshake and congestion
// control see the link's round trip and rate. Prepare goes over a veth pair, unshaped.
import { UserError } from '../errors.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

export class LinkError extends UserError {}

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
  /** The veth pair: the direct path (prepare, the probe's baseline), unshaped, undelayed. */
  readonly hostIf: string;
  readonly nsIf: string;
  readonly hostAddr: string;
  readonly nsAddr: string;
  /** The TUN pair of the delay line: the link the samples pull through. */
  readonly hostTun: string;
  readonly nsTun: string;
  readonly hostTunAddr: string;
  readonly nsTunAddr: string;
  /** The lab's /30, for the check that no other lab holds it. */
  private readonly block: string;

  constructor(readonly id: number) {
    this.ns = `hellobench-${id}`;
    this.hostIf = `hbh${id}`;
    this.nsIf = `hbn${id}`;
    this.hostTun = `hbth${id}`;
    this.nsTun = `hbtn${id}`;
    // One /30 of the benchmarking range 198.18.0.0/15 per lab, split into two point-to-point
    // /31s: .0/.1 for the veth, .2/.3 for the TUN pair. Unique up to PID 32768 (the /15 holds
    // 32768 of them); above, create() refuses a block another lab holds.
    const slot = (id % 32768) * 4;
    const addr = (i: number) => `198.${18 + (slot >> 16)}.${(slot >> 8) & 255}.${(slot & 255) + i}`;
    [this.hostAddr, this.nsAddr, this.hostTunAddr, this.nsTunAddr] = [addr(0), addr(1), addr(2), addr(3)];
    this.block = `${addr(0)}/30`;
  }

  /** argv prefix that runs a command inside the namespace. */
  exec(): string[] {
    return [tool('ip'), 'netns', 'exec', this.ns];
  }

  private async ip(args: string[]): Promise<void> {
    const r = await execa(tool('ip'), args, { reject: false });
    if (r.exitCode !== 0) throw new LinkError(`link setup: ip ${args.join(' ')}: ${r.stderr.trim()}`);
  }

  /** The namespace with its veth pair (the direct path). */
  async create(): Promise<void> {
    const taken = await execa(tool('ip'), ['-4', '-o', 'addr', 'show', 'to', this.block], { reject: false });
    if (taken.stdout.trim()) throw new LinkError(`link setup: ${this.block} is in use (${taken.stdout.trim().split(/\s+/)[1]}): another lab's PID equals this one's modulo 32768`);
    await this.ip(['netns', 'add', this.ns]);
    await this.ip(['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf]);
    await this.ip(['link', 'set', this.nsIf, 'netns', this.ns]);
    await this.ip(['addr', 'add', `${this.hostAddr}/31`, 'dev', this.hostIf]);
    await this.ip(['link', 'set', this.hostIf, 'up']);
    await this.ip(['-n', this.ns, 'addr', 'add', `${this.nsAddr}/31`, 'dev', this.nsIf]);
    await this.ip(['-n', this.ns, 'link', 'set', this.nsIf, 'up']);
    await this.ip(['-n', this.ns, 'link', 'set', 'lo', 'up']);
  }

  /** argv of the delay line that creates this link's TUN pair; `connectLine` wires it once it runs. */
  delayLineArgv(rttMs: number): [string, ...string[]] {
    return [tool('delay-line'), '--a', this.hostTun, '--b', this.nsTun, '--delay', `${(rttMs / 2).toFixed(3)}ms`];
  }

  /** Whether the delay line has created both devices (still in the host's namespace). */
  lineCreated(): boolean {
    return existsSync(`/sys/class/net/${this.hostTun}`) && existsSync(`/sys/class/net/${this.nsTun}`);
  }

  /**
   * Moves the delay line's second device into the namespace (the delay line creates both in
   * the host's: a moved device does not hold the namespace, so deleting the namespace deletes
   * it and the delay line exits), addresses the pair and rate-limits it.
   */
  async connectLine(rate: number | undefined): Promise<void> {
    await this.ip(['link', 'set', this.nsTun, 'netns', this.ns]);
    await this.ip(['addr', 'add', `${this.hostTunAddr}/31`, 'dev', this.hostTun]);
    await this.ip(['link', 'set', this.hostTun, 'up']);
    await this.ip(['-n', this.ns, 'addr', 'add', `${this.nsTunAddr}/31`, 'dev', this.nsTun]);
    await this.ip(['-n', this.ns, 'link', 'set', this.nsTun, 'up']);
    if (rate !== undefined) {
      // tbf on each device's egress shapes one direction each. burst: 10 ms of traffic at the
      // rate (at least 64 KiB, so the delay line's TSO segments pass whole); latency bounds the
      // queue, as a router's buffer would.
      const burst = Math.max(65536, Math.round(rate / 8 / 100));
      for (const [dev, prefix] of [[this.hostTun, []], [this.nsTun, ['-n', this.ns]]] as const) {
        const r = await execa(tool('tc'), [...prefix, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${Math.round(rate)}bit`, 'burst', String(burst), 'latency', '100ms'], { reject: false });
        if (r.exitCode !== 0) throw new LinkError(`link setup: tc tbf on ${dev}: ${r.stderr.trim()} (the kernel needs sch_tbf)`);
      }
    }
  }

  /** Bytes the host has received over the link (the registry's replies to samples), IP headers included. */
  hostRxBytes(): number {
    return Number(readFileSync(`/sys/class/net/${this.hostTun}/statistics/rx_bytes`, 'utf8'));
  }

  /** Removes the namespace and both pairs (the lab has stopped the delay line; a dead lab's is killed first). */
  async remove(): Promise<void> {
    // Whatever still runs inside the namespace was started by this lab (the registry).
    const pids = await execa(tool('ip'), ['netns', 'pids', this.ns], { reject: false });
    for (const pid of pids.stdout.split('\n').map(Number).filter((n) => n > 0)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    // Deleting one end of the veth deletes the pair; the TUN pair is normally gone with the delay line.
    for (const dev of [this.hostIf, this.hostTun]) await execa(tool('ip'), ['link', 'del', dev], { reject: false });
    await execa(tool('ip'), ['netns', 'del', this.ns], { reject: false });
  }
}

/** Links left by labs whose process is gone: a namespace hellobench-<pid>, or a host device of one. */
export async function staleNamespaces(isAlive: (pid: number) => boolean): Promise<NetNs[]> {
  const r = await execa(tool('ip'), ['netns', 'list'], { reject: false });
  const names = [...r.stdout.split('\n').map((l) => l.trim()), ...readdirSync('/sys/class/net')];
  const pids = new Set(names.map((n) => /^(?:hellobench-|hbh|hbth)(\d+)\b/.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])));
  return [...pids].filter((pid) => pid !== process.pid && !isAlive(pid)).map((pid) => new NetNs(pid));
}
