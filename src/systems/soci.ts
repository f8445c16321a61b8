// SOCI (Seekable OCI) through soci-snapshotter-grpc (FUSE): the unchanged image plus a SOCI
// index (v2: the image manifest annotated with the index, ztocs as the index's layers),
// pulled lazily through containerd's transfer service.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { tool, toolVersion, type Tool } from '../lab/tools.ts';
import { lastLines } from '../util/text.ts';
import { fuseCheck, fuseProof } from './host.ts';
import { METRICS_SOCKET, promSum, unixGet } from './metrics.ts';
import type { Mode, SnapshotterSystem } from './system.ts';

export interface SociOptions {
  /** Uncompressed bytes between ztoc checkpoints (upstream's default, 4 MiB). */
  spanSize: number;
  /** Layers smaller than this (compressed) get no index and are pulled whole; 0 indexes every layer. */
  minLayerSize: number;
}

const SNAPSHOTTER: Tool = { name: 'soci-snapshotter-grpc', how: 'run scripts/setup.sh (builds the SOCI snapshotter from the Go module proxy)', version: ['--version'] };
const INDEXER: Tool = { name: 'soci-index', how: 'run scripts/setup.sh (builds the SOCI index builder from tools/soci)', version: ['--version'] };

export const soci: SnapshotterSystem<SociOptions> = {
  name: 'soci',
  title: 'SOCI index v2 through soci-snapshotter-grpc (FUSE)',
  tools: [SNAPSHOTTER, INDEXER],
  snapshotter: 'soci',
  hostChecks: () => [fuseCheck()],
  get modes() { return MODES; },
  // On a busy CI runner, both samples of one back-to-back run of the same 5.7 MB image fetched
  // 5.4% more bytes and 2 more requests (14 -> 16); on a quiet machine its fetches repeat exactly.
  fetchNoise: { share: 0.1, requests: 2 },

  daemon(ctx, mode) {
    const config = join(ctx.dir, 'config.toml');
    const socket = join(ctx.dir, 'soci.sock');
    const root = join(ctx.dir, 'root');
    writeFileSync(config, [
      // What its FUSE reads were answered with, in Prometheus's text format (top-level keys).
      `metrics_address = ${JSON.stringify(join(ctx.dir, METRICS_SOCKET))}`,
      'metrics_network = "unix"',
      // The index and ztocs come through containerd's content store (a pull puts them there).
      '[content_store]',
      '  type = "containerd"',
      `  containerd_address = ${JSON.stringify(ctx.containerdSock)}`,
      '[pull_modes.soci_v1]',
      '  enable = false',
      '[pull_modes.soci_v2]',
      '  enable = true',
      '[snapshotter]',
      `  min_layer_size = ${mode.options.minLayerSize}`,
      // Background fetching downloads whole layers some 30 s after the last read: bytes
      // fetched would depend on how long a sample lasts.
      '[background_fetch]',
      '  disable = true',

      // Plain HTTP needs a mirror entry with a scheme; without it SOCI falls back to a full pull.
      ...ctx.registryHosts.flatMap((h) => [`[[resolver.host."${h}".mirrors]]`, `  host = "http://${h}"`, '  insecure = true']),
      '',
    ].join('\n'));
    return {
      socket,
      spec: { argv: [tool(SNAPSHOTTER), '--address', socket, '--config', config, '--root', root, '--log-level', 'info'] },
      proxyPluginLines: ['[proxy_plugins.soci.exports]', `  root = ${JSON.stringify(root)}`, '  enable_remote_snapshot_annotations = "true"'],
      unpack: true,
    };
  },

  // The transfer-service pull (not --local) passes the remote-snapshot labels to the snapshotter.
  pullArgv: (ctx, ref) => [ctx.ctr, ...ctx.ctrArgs, 'image', 'pull', '--plain-http', '--snapshotter', 'soci', ref],

  // What its FUSE reads were answered with: the read side of amplification.
  async readBytes(ctx) {
    return promSum(await unixGet(join(ctx.dir, METRICS_SOCKET), '/metrics', 'SOCI snapshotter'), 'soci_fs_bytes_served', { operation_type: 'synchronous_bytes_served' });
  },

  // Every layer has a ztoc (min_layer_size 0), so every layer must be a FUSE mount.
  lazyProof: (ctx, layers) => fuseProof(ctx.dir, 'the SOCI snapshotter', layers),

  async convertKey(mode) {
    return { builder: await toolVersion(INDEXER), ...mode.options };
  },

  async convert(ctx, mode) {
    const index = await execa(tool(INDEXER), ['--address', ctx.containerdSock, '--namespace', ctx.namespace,
      '--span-size', String(mode.options.spanSize), '--min-layer-size', String(mode.options.minLayerSize), ctx.src, ctx.dst], { reject: false, all: true });
    if (index.exitCode !== 0) throw new Error(`soci-index ${ctx.dst}: ${lastLines(index.all)}`);
    ctx.log(`  soci-index ${ctx.workload.name}: ${lastLines(index.stdout).replace(/^.*? (?=digest=)/, '')}`);
    const push = await execa(ctx.ctr, [...ctx.ctrArgs, 'image', 'push', '--plain-http', ctx.dst], { reject: false, all: true });
    if (push.exitCode !== 0) throw new Error(`ctr image push ${ctx.dst}: ${lastLines(push.all)}`);
    return {};
  },
  // The tag's index holds the image and its SOCI index (v2): the index manifest lists the ztocs.
  async metadata(image) {
    const desc = image.top.manifests?.find((m) => m.annotations?.['com.amazon.soci.image-manifest-digest']);
    if (!desc) throw new Error("the image's index holds no SOCI index manifest");
    const index = await image.manifest(desc.digest);
    return { what: 'SOCI index and ztocs', bytes: desc.size + (index.layers ?? []).reduce((b, l) => b + l.size, 0) };
  },
};

const MODES: Mode<SociOptions>[] = [
  { name: 'soci', tag: 'soci', system: soci, options: { spanSize: 4 << 20, minLayerSize: 0 } },
];
