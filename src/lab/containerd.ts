// Which containerd the lab runs, and the config it starts with. containerd 2 (built from
// the Go module proxy at the release scripts/setup.sh pins) is the default, as upstream's
// benchmark runs 2.x; Debian's 1.6 stays selectable with --containerd 1.6.
import { UserError } from '../errors.ts';
import type { LabToolName } from './tools.ts';

export interface ContainerdBuild {
  id: string;
  label: string;
  containerd: LabToolName;
  ctr: LabToolName;
  shim: LabToolName;
  /** containerd's config schema: 2 for 1.x, 3 for 2.x. */
  configVersion: 2 | 3;
}

export const CONTAINERDS: Record<string, ContainerdBuild> = {
  '2': { id: '2', label: 'containerd 2 (built from the Go module proxy)', containerd: 'containerd2/containerd', ctr: 'containerd2/ctr', shim: 'containerd2/containerd-shim-runc-v2', configVersion: 3 },
  '1.6': { id: '1.6', label: "Debian's containerd 1.6", containerd: 'containerd', ctr: 'ctr', shim: 'containerd-shim-runc-v2', configVersion: 2 },
};

export const DEFAULT_CONTAINERD = '2';

export function containerdBuild(id: string): ContainerdBuild {
  const b = CONTAINERDS[id];
  if (!b) throw new UserError(`--containerd: unknown "${id}": choose from ${Object.keys(CONTAINERDS).join(', ')}`);
  return b;
}

export interface RuntimeConfig {
  root: string;
  state: string;
  socket: string;
  optDir: string;
  /** The proxy snapshotter of the mode being measured, if any. */
  proxy?: { name: string; socket: string; lines?: string[]; unpack?: boolean };
  /** The CRI plugins' configuration (lab/cri.ts); absent: CRI stays off, as `ctr` needs none of it. */
  cri?: string[];
}

/** containerd's CRI plugins: off unless the CRI runtime is measured. */
const CRI_PLUGINS: Record<2 | 3, string[]> = {
  2: ['io.containerd.grpc.v1.cri'],
  3: ['io.containerd.grpc.v1.cri', 'io.containerd.cri.v1.runtime', 'io.containerd.cri.v1.images'],
};

/** Snapshotters for other filesystems, never used here. */
const UNUSED: Record<2 | 3, string[]> = {
  2: ['io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1.aufs'],
  3: ['io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1.blockfile', 'io.containerd.snapshotter.v1.erofs'],
};

export function renderContainerdConfig(build: ContainerdBuild, c: RuntimeConfig): string {
  const v = build.configVersion;
  if (c.cri && v !== 3) throw new UserError(`--runtime cri: needs containerd 2 (--containerd 2); ${build.label} is driven through ctr only`);
  const disabled = [...(c.cri ? [] : CRI_PLUGINS[v]), ...UNUSED[v]];
  const lines = [
    `version = ${v}`,
    `root = ${JSON.stringify(c.root)}`,
    `state = ${JSON.stringify(c.state)}`,
    `disabled_plugins = ${JSON.stringify(disabled)}`,
    '[grpc]',
    `  address = ${JSON.stringify(c.socket)}`,
    '[ttrpc]',
    `  address = ${JSON.stringify(`${c.socket}.ttrpc`)}`,
    '[debug]',
    '  level = "info"',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${JSON.stringify(c.optDir)}`,
  ];
  if (c.cri) lines.push(...c.cri);
  if (c.proxy) {
    lines.push(`[proxy_plugins.${c.proxy.name}]`, '  type = "snapshot"', `  address = ${JSON.stringify(c.proxy.socket)}`, ...(c.proxy.lines ?? []).map((l) => `  ${l}`));
    // containerd 2's transfer service unpacks with a snapshotter only if it is listed here.
    if (v === 3 && c.proxy.unpack) {
      lines.push('[plugins."io.containerd.transfer.v1.local"]', '  unpack_config = [',
        ...['overlayfs', c.proxy.name].map((s) => `    { platform = "linux/${goArch()}", snapshotter = "${s}" },`), '  ]');
    }
  }
  return `${lines.join('\n')}\n`;
}

/** GOARCH of this machine, as containerd's platform strings spell it. */
function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
}
