// Nydus: RAFS v6 images served by nydusd in FUSE mode, through containerd-nydus-grpc.
// FUSE is the mode measured: the kernels we test on lack EROFS on-demand (fscache). nydusd
// mounts the image at `container create`, not at pull: its start-up is in create.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { tool, toolVersion, type Tool } from '../lab/tools.ts';
import { lastLines } from '../util/text.ts';
import { fuseCheck, fuseProof } from './host.ts';
import { unixGet } from './metrics.ts';
import { profileInputs } from './profile.ts';
import type { Mode, SnapshotterSystem } from './system.ts';

export interface NydusOptions {
  /**
   * Prefetch the files the workload's profile lists (the same profiling run the optimized
   * eStargz uses), recorded in the image and fetched by nydusd right after the mount.
   */
  prefetch: boolean;
}

const fromProxy = (what: string) => `run scripts/setup.sh (builds ${what} from the Go module proxy)`;
const SNAPSHOTTER: Tool = { name: 'containerd-nydus-grpc', how: fromProxy('the Nydus snapshotter'), version: ['--version'] };
const CONVERTER: Tool = { name: 'nydus-convert', how: 'run scripts/setup.sh (builds the Nydus converter from tools/nydus)', version: ['--version'] };
const NYDUSD: Tool = { name: 'nydusd', how: "run scripts/setup.sh (builds nydus-rs from Rust's package registry)", version: ['--version'] };
const BUILDER: Tool = { name: 'nydus-image', how: "run scripts/setup.sh (builds nydus-rs from Rust's package registry)", version: ['--version'] };
const NYDUSD_WRAPPER: Tool = { name: 'nydusd-wrapper', how: 'run scripts/setup.sh (builds the nydusd wrapper from tools/nydus)' };
const BUILDER_WRAPPER: Tool = { name: 'nydus-image-wrapper', how: 'run scripts/setup.sh (builds the nydus-image wrapper from tools/nydus)' };

export const nydus: SnapshotterSystem<NydusOptions> = {
  name: 'nydus',
  title: 'Nydus RAFS v6 through containerd-nydus-grpc and nydusd in FUSE mode (not EROFS over fscache)',
  tools: [SNAPSHOTTER, CONVERTER, NYDUSD, BUILDER, NYDUSD_WRAPPER, BUILDER_WRAPPER],
  snapshotter: 'nydus',
  hostChecks: () => [fuseCheck()],
  get modes() { return MODES; },

  daemon(ctx, mode) {
    const socket = join(ctx.dir, 'nydus.sock');
    const nydusdConfig = join(ctx.dir, 'nydusd.json');
    // The snapshotter fills in each image's registry host and repository; plain HTTP is the scheme.
    // Without a prefetch list the converter records `/`: prefetch stays off for the plain mode.
    writeFileSync(nydusdConfig, `${JSON.stringify({
      device: { backend: { type: 'registry', config: { scheme: 'http', timeout: 5, connect_timeout: 5, retry_limit: 2 } }, cache: { type: 'blobcache' } },
      mode: 'direct', digest_validate: false, iostats_files: false, enable_xattr: true,
      fs_prefetch: mode.options.prefetch ? { enable: true, prefetch_all: false, threads_count: 4, merging_size: 1048576 } : { enable: false },
    }, null, 2)}\n`);
    const config = join(ctx.dir, 'config.toml');
    writeFileSync(config, [
      'version = 1',
      `root = ${JSON.stringify(join(ctx.dir, 'root'))}`,
      `address = ${JSON.stringify(socket)}`,
      'daemon_mode = "dedicated"',
      // Stopping the snapshotter stops every nydusd and unmounts it (otherwise they outlive it).
      'cleanup_on_close = true',
      '[system]',
      '  enable = false',
      '[daemon]',
      `  nydusd_config = ${JSON.stringify(nydusdConfig)}`,
      // nydusd raises RLIMIT_NOFILE beyond what these machines allow; the wrapper adds --rlimit-nofile 0.
      `  nydusd_path = ${JSON.stringify(tool(NYDUSD_WRAPPER))}`,
      `  nydusimage_path = ${JSON.stringify(tool(BUILDER))}`,
      '  fs_driver = "fusedev"',
      '  recover_policy = "none"',
      '  threads_number = 4',
      '[cgroup]',
      '  enable = false',
      '[log]',
      '  log_to_stdout = true',
      '  level = "info"',
      '[metrics]',
      '  address = ""',
      '[snapshot]',
      '  enable_nydus_overlayfs = false',
      '',
    ].join('\n'));
    return {
      socket,
      spec: { argv: [tool(SNAPSHOTTER), '--config', config] },
      proxyPluginLines: ['[proxy_plugins.nydus.exports]', '  enable_remote_snapshot_annotations = "true"'],
      unpack: true,
    };
  },

  // The transfer-service pull (not --local) passes the labels the snapshotter needs.
  pullArgv: (ctx, ref) => [ctx.ctr, ...ctx.ctrArgs, 'image', 'pull', '--plain-http', '--snapshotter', 'nydus', ref],

  // One nydusd FUSE mount per image (not per layer), from `create` on.
  lazyProof: (ctx) => fuseProof(ctx.dir, 'nydusd'),

  // Each nydusd counts what its FUSE reads returned (`data_read` of its API's global metrics).
  async readBytes(ctx) {
    let bytes = 0;
    for (const socket of nydusdSockets(join(ctx.dir, 'root', 'socket'))) bytes += (await nydusdMetrics(socket)).data_read;
    return bytes;
  },

  // The flags name changes to how images are made (ACL filter, kept record) so older tags are not reused.
  // The prefetch list is the workload's profile: a changed command is a new image.
  async convertKey(mode, w) {
    return { converter: await toolVersion(CONVERTER), builder: await toolVersion(BUILDER), dropsAclXattrs: true, keepsRecord: true, ...mode.options, ...(mode.options.prefetch ? { profile: profileInputs(w) } : {}) };
  },

  async convert(ctx, mode) {
    let prefetchArgs: string[] = [];
    let profiled: number | undefined;
    if (mode.options.prefetch) {
      const profile = await ctx.profile();
      if (profile.paths.length === 0) throw new Error(`the profile of ${ctx.workload.name} lists no file to prefetch (${profile.file})`);
      // This mode's own record (what a reused image reports), and the list nydus-image reads:
      // the profile's paths are relative to the image root, nydus-image wants absolute ones.
      writeFileSync(ctx.recordFile, profile.paths.map((path) => `${JSON.stringify({ path })}\n`).join(''));
      const list = `${ctx.recordFile}.prefetch`;
      writeFileSync(list, profile.paths.map((p) => `/${p.replace(/^\/+/, '')}\n`).join(''));
      prefetchArgs = ['--prefetch-file', list];
      profiled = profile.paths.length;
    }
    const conv = await execa(tool(CONVERTER), ['--address', ctx.containerdSock, '--namespace', ctx.namespace,
      // The wrapper drops the two POSIX ACL xattrs nydus-image 2.2 rejects (see tools/nydus).
      '--nydus-image', tool(BUILDER_WRAPPER), '--fs-version', '6', '--compressor', 'zstd', ...prefetchArgs, ctx.src, ctx.dst], { reject: false, all: true });
    if (conv.exitCode !== 0) throw new Error(`nydus-convert ${ctx.dst}: ${builderError(conv.all) ?? lastLines(conv.all)}`);
    ctx.log(`  nydus-convert ${ctx.workload.name}: ${lastLines(conv.stdout).replace(/^.*? (?=manifest=)/, '')}`);
    const push = await execa(ctx.ctr, [...ctx.ctrArgs, 'image', 'push', '--plain-http', ctx.dst], { reject: false, all: true });
    if (push.exitCode !== 0) throw new Error(`ctr image push ${ctx.dst}: ${lastLines(push.all)}`);
    return profiled === undefined ? {} : { profiled_files: profiled };
  },
  // The bootstrap (RAFS metadata) is a layer of its own; the blobs hold file data alone.
  async metadata(image) {
    const bootstrap = image.layers.filter((l) => l.annotations?.['containerd.io/snapshot/nydus-bootstrap'] === 'true');
    if (!bootstrap.length) throw new Error('no layer is annotated as the Nydus bootstrap');
    return { what: 'bootstrap', bytes: bootstrap.reduce((b, l) => b + l.size, 0) };
  },
};

/** nydus-image's own error line, which the converter buries in its log. */
export function builderError(output: string | undefined): string | undefined {
  const lines = (output ?? '').split('\n');
  const i = lines.findIndex((l) => l.includes('Error: build failed'));
  if (i < 0) return undefined;
  const msg = (l: string) => /msg="((?:[^"\\]|\\.)*)"/.exec(l)?.[1]?.replace(/\\x1b\[[0-9;]*m|\x1b\[[0-9;]*m|\\[tn"]/g, ' ').trim();
  const around = [...lines.slice(Math.max(0, i - 3), i), ...lines.slice(i + 1, i + 4)].map(msg);
  return ['nydus-image: build failed', ...around.filter((m) => m && !/^(at |Caused by:|note:|\[)/.test(m))].join(': ');
}

const MODES: Mode<NydusOptions>[] = [
  { name: 'nydus', tag: 'nydus', system: nydus, options: { prefetch: false } },
  { name: 'nydus-prefetch', tag: 'nydus-prefetch', system: nydus, options: { prefetch: true }, profile: 'reads' },
];

/** The API socket of every nydusd the snapshotter started (dedicated mode: one per image, `<root>/socket/<id>/api.sock`). */
function nydusdSockets(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((id) => join(dir, id, 'api.sock')).filter((s) => existsSync(s));
}

/** A nydusd's global metrics of its file system. */
async function nydusdMetrics(socketPath: string): Promise<{ data_read: number }> {
  const body = await unixGet(socketPath, '/api/v1/metrics', 'nydusd');
  const m = (() => { try { return JSON.parse(body) as { data_read?: unknown }; } catch { return {}; } })();
  if (typeof m.data_read !== 'number') throw new Error(`nydusd ${socketPath}: /api/v1/metrics answered without data_read`);
  return { data_read: m.data_read };
}
