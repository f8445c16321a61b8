// containerd's built-in overlayfs snapshotter with a full pull: upstream's `legacy` mode,
// the baseline every lazy system is measured against.
import { overlayCheck } from './host.ts';
import type { Mode, SnapshotterSystem } from './system.ts';

export const overlayfs: SnapshotterSystem<Record<string, never>> = {
  name: 'overlayfs',
  title: "containerd's overlayfs snapshotter, full pull and unpack",
  tools: [],
  snapshotter: 'overlayfs',
  hostChecks: () => [overlayCheck()],
  get modes() { return MODES; },
  pullArgv: (ctx, ref) => [ctx.ctr, ...ctx.ctrArgs, 'image', 'pull', '--plain-http', ref],
};

const MODES: Mode<Record<string, never>>[] = [{ name: 'legacy', tag: 'org', system: overlayfs, options: {}, baseline: true }];

