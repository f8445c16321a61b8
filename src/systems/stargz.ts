// eStargz through containerd's stargz snapshotter (containerd-stargz-grpc, FUSE): upstream
// HelloBench's own modes. Images are converted with `ctr-remote image optimize`; the
// optimized ones are profiled with the workload itself (fanotify), and that profile is the
// one every system's optimized mode reuses.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Workload } from '../catalog/schema.ts';
import { tool, toolVersion, type Tool } from '../lab/tools.ts';
import { serialized } from '../util/serial.ts';
import { lastLines } from '../util/text.ts';
import { fuseCheck, fuseProof } from './host.ts';
import { METRICS_SOCKET, promSum, unixGet } from './metrics.ts';
import { profileInputs, readProfile } from './profile.ts';
import type { ConvertContext, Mode, SnapshotterSystem } from './system.ts';

export interface StargzOptions {
  /** `ctr-remote image optimize` flags besides --oci. */
  optimizeFlags: string[];
  /** Whether the conversion runs the workload and puts what it read first. */
  profile: boolean;
  /** The snapshotter's prefetch (its config's `noprefetch` is the negation). */
  prefetch: boolean;
}

/** Seconds a server keeps running after its wait line, so start-up reads that follow it count. */
const PROFILE_GRACE_S = 2;

const STARGZ_GRPC: Tool = { name: 'containerd-stargz-grpc', how: 'run scripts/setup.sh (builds it from the Go module proxy)', version: ['--version'] };
const CTR_REMOTE: Tool = { name: 'ctr-remote', how: 'run scripts/setup.sh (Debian package stargz-snapshotter)', version: ['--version'] };

export const stargz: SnapshotterSystem<StargzOptions> = {
  name: 'stargz',
  title: 'eStargz through the stargz snapshotter (containerd-stargz-grpc, FUSE)',
  tools: [STARGZ_GRPC, CTR_REMOTE],
  snapshotter: 'stargz',
  hostChecks: () => [fuseCheck()],
  get modes() { return MODES; },

  daemon(ctx, mode) {
    const config = join(ctx.dir, 'config.toml');
    const socket = join(ctx.dir, 'stargz.sock');
    writeFileSync(config, [
      `noprefetch = ${!mode.options.prefetch}`,
      // Plain HTTP to the lab registry must be allowed here too, not only on the ctr command line.
      ...ctx.registryHosts.flatMap((h) => [`[[resolver.host."${h}".mirrors]]`, `host = "${h}"`, 'insecure = true']),
      '',
    ].join('\n'));
    return {
      socket,
      // The Quick Start's export: the CRI plugin reads the snapshotter's root from it (image filesystem usage).
      proxyPluginLines: ['[proxy_plugins.stargz.exports]', `  root = ${JSON.stringify(join(ctx.dir, 'root'))}`],
      spec: {
        stopSignal: 'SIGINT',
        argv: [tool(STARGZ_GRPC), '--address', socket, '--config', config, '--root', join(ctx.dir, 'root'), '--log-level', 'debug', '--metrics-socket', join(ctx.dir, METRICS_SOCKET)],
      },
    };
  },

  // What its FUSE reads were answered with, from its cache or the registry: the read side of amplification.
  async readBytes(ctx) {
    return promSum(await unixGet(join(ctx.dir, METRICS_SOCKET), '/metrics', 'stargz daemon'), 'stargz_fs_bytes_served', { operation_type: 'on_demand_bytes_served' });
  },

  pullArgv: (ctx, ref) => [tool(CTR_REMOTE), ...ctx.ctrArgs, 'image', 'rpull', '--plain-http', '--snapshotter', 'stargz', ref],

  lazyProof: (ctx, layers) => fuseProof(ctx.dir, 'the stargz snapshotter', layers),

  async convertKey(mode, w) {
    return { flags: mode.options.optimizeFlags, profile: mode.options.profile ? profileInputs(w) : null, ctrRemote: await ctrRemoteVersion() };
  },

  async convert(ctx, mode) {
    await optimize(ctx, mode.options.optimizeFlags, mode.options.profile);
    const push = await execa(tool(CTR_REMOTE), [...ctx.ctrArgs, 'image', 'push', '--plain-http', ctx.dst], { reject: false, all: true });
    if (push.exitCode !== 0) throw new Error(`ctr-remote image push ${ctx.dst}: ${lastLines(push.all)}`);
    return mode.options.profile ? { profiled_files: readProfile(ctx.recordFile).paths.length } : {};
  },
  // An eStargz layer ends with its TOC and a 51-byte footer saying where the TOC starts; a
  // zstd:chunked layer's annotation says where its TOC (manifest) lies and how long it is.
  async metadata(image) {
    let bytes = 0;
    for (const l of image.layers) {
      const position = l.annotations?.['io.containers.zstd-chunked.manifest-position'];
      bytes += position ? Number(position.split(':')[1]) : estargzTocBytes(await image.blobTail(l.digest, l.size, ESTARGZ_FOOTER), l.size);
    }
    return { what: 'TOC', bytes };
  },
};

const MODES: Mode<StargzOptions>[] = [
  { name: 'estargz-noopt', tag: 'esgz-noopt', system: stargz, options: { optimizeFlags: ['--no-optimize'], profile: false, prefetch: false } },
  { name: 'estargz', tag: 'esgz', system: stargz, options: { optimizeFlags: [], profile: true, prefetch: true }, profile: 'records' },
  { name: 'zstdchunked', tag: 'zstdchunked', system: stargz, options: { optimizeFlags: ['--zstdchunked'], profile: true, prefetch: true } },
];

let ctrRemote: Promise<string> | undefined;
const ctrRemoteVersion = () => (ctrRemote ??= toolVersion(CTR_REMOTE));

/**
 * The profiling container runs what a sample's `ctr container create ... -- COMMAND` runs.
 * ctr-remote takes it as entrypoint + args; it treats empty args as unset and appends the
 * image's CMD then, which is why images built here carry no CMD.
 */
function workloadFlags(w: Workload): string[] {
  const out: string[] = [];
  if (w.command) out.push('--entrypoint', JSON.stringify(w.command.slice(0, 1)), '--args', JSON.stringify(w.command.slice(1)));
  for (const [k, v] of Object.entries(w.env)) out.push('--env', `${k}=${v}`);
  for (const m of w.mounts) out.push('--mount', `type=bind,source=${m.source},destination=${m.target},options=rbind:ro`);
  if (w.stdin !== undefined) out.push('-i');
  return out;
}

/**
 * One conversion at a time: images share layers (the Debian base), and two ctr-remote runs
 * writing the same converted blob lose it to containerd's garbage collection when the
 * first one's lease ends ("content digest ... not found").
 */
const optimize = serialized(optimizeNow);

/**
 * `ctr-remote image optimize`. With a profile, the workload itself runs under fanotify: its
 * own command, env, mounts and stdin; a server until its wait line plus a grace period (not
 * a blind fixed period), anything else until it exits.
 */
async function optimizeNow(ctx: ConvertContext, flags: string[], profile: boolean): Promise<void> {
  const w = ctx.workload;
  const limitS = w.profile_period ?? w.timeout;
  const argv = [...ctx.ctrArgs, 'image', 'optimize', '--oci', ...flags,
    ...(profile ? ['--record-out', ctx.recordFile, '--wait-on-signal', '--period', String(limitS), ...workloadFlags(w)] : []),
    ctx.src, ctx.dst];
  // ctr-remote mounts the image at a new $TMPDIR/target*, and leaves it mounted when it is killed.
  const child = execa(tool(CTR_REMOTE), argv, { reject: false, all: true, input: profile ? (w.stdin ?? '') : '', env: { TMPDIR: ctx.tmpDir } });
  let output = '';
  let ended: string | null = null;
  let exitedOnItsOwn = false;
  const stop = (why: string) => {
    if (ended) return;
    ended = why;
    child.kill('SIGINT');
  };
  const limit = profile ? setTimeout(() => stop(w.ready ? 'its period' : `no exit or wait line within ${limitS}s`), limitS * 1000) : undefined;
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    // The limit is on the workload, not on the conversion that follows it.
    if (/container exit with code \d+/.test(output)) {
      clearTimeout(limit);
      exitedOnItsOwn ||= ended === null;
    }
    if (w.waitline && !ended && output.includes(w.waitline)) {
      ended = 'wait line';
      clearTimeout(limit);
      setTimeout(() => child.kill('SIGINT'), PROFILE_GRACE_S * 1000);
    }
  });
  const r = await child;
  clearTimeout(limit);
  if (r.exitCode !== 0) {
    throw new Error(`ctr-remote image optimize ${ctx.dst}: exit ${r.exitCode ?? r.signal}: ${workloadLines(output)}`);
  }
  if (!profile) return;
  const code = /container exit with code (\d+)/.exec(output)?.[1];
  if (w.pattern === 'cmd-arg-wait' && w.waitline && ended !== 'wait line') {
    throw new Error(`profiling run of ${w.name} never printed its wait line "${w.waitline}" (${ended ?? `exit ${code}`})`);
  }
  // A server probed over HTTP is unreachable in the profiling container: it is watched for its
  // whole period, and must still be running at the end of it.
  if (w.pattern === 'cmd-arg-wait' && !w.waitline && exitedOnItsOwn) {
    throw new Error(`profiling run of ${w.name} exited with code ${code} within its period of ${limitS}s: ${workloadLines(output)}`);
  }
  if (w.pattern !== 'cmd-arg-wait' && code !== '0') {
    throw new Error(`profiling run of ${w.name} ${code === undefined ? `did not finish (${ended})` : `exited with code ${code}`}: ${workloadLines(output)}`);
  }
}

/** The workload's own last lines, without ctr-remote's log lines. */
const workloadLines = (output: string) => lastLines(output.split('\n').filter((l) => !l.startsWith('time=')).join('\n'), 2, ' / ', 300);


/** An eStargz footer's length: an empty gzip member whose extra field holds the TOC's offset. */
const ESTARGZ_FOOTER = 51;

/** Bytes of an eStargz layer's TOC (its compressed tar entry) from the layer's footer and size. */
export function estargzTocBytes(footer: Buffer, layerSize: number): number {
  if (footer.length !== ESTARGZ_FOOTER || footer.toString('latin1', 12, 14) !== 'SG' || footer.toString('latin1', 32, 38) !== 'STARGZ') {
    throw new Error('not an eStargz footer: the layer does not end with the 51 bytes that locate its TOC');
  }
  const offset = Number.parseInt(footer.toString('latin1', 16, 32), 16);
  return layerSize - offset - ESTARGZ_FOOTER;
}
