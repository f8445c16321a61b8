// The CRI runtime's node, what a kubelet's machine has besides containerd: containerd's CRI
// plugin configured as the snapshotters' Kubernetes Quick Starts say (the mode's snapshotter,
// snapshot annotations on), a bridge network through Debian's CNI plugins, the pods' pause
// image, and the removal of every pod (with its network namespace, veth and address) before
// containerd stops. One lab runs per machine, so the bridge and the CNI network have fixed names.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { emptyImage } from '../images/build.ts';
import { imageLayers } from '../images/registry.ts';
import type { RuncCgroups } from '../lab/cgroups.ts';
import { LabError } from '../lab/errors.ts';
import type { NodeContext, RuntimeNode } from '../lab/node.ts';
import { tool, type Tool } from '../lab/tools.ts';
import { CACHE_DIR } from '../paths.ts';
import { lastLines } from '../util/text.ts';

export const CRICTL: Tool = { name: 'crictl', how: 'run scripts/setup.sh (builds crictl from the Go module proxy)', version: ['--version'] };
export const PAUSE: Tool = { name: 'pause', how: "run scripts/setup.sh (builds the pods' pause binary from tools/pause)" };

/** The CNI network's name (and the prefix of libcni's cached results for it). */
export const CNI_NETWORK = 'hellobench';
export const CNI_BRIDGE = 'hb-cni0';
/** The pods' addresses: outside the link's benchmarking range and, checked at start, unused on the host. */
export const POD_SUBNET = '10.234.0.0/24';
/** Where Debian's containernetworking-plugins install the plugins. */
export const CNI_BIN_DIR = '/usr/lib/cni';
/** libcni keeps each attachment's result here; containerd gives no way to move it. */
const CNI_CACHE = '/var/lib/cni/results';
/** The namespace containerd's CRI plugin keeps Kubernetes' images and containers in. */
export const CRI_NAMESPACE = 'k8s.io';

export interface CriConfig {
  /** containerd's own directory for this sample (wiped on reset). */
  containerdDir: string;
  snapshotter: string;
  /** The pause image, on the registry's direct host. */
  sandboxImage: string;
  /** Registry hosts reached over plain HTTP. */
  registryHosts: string[];
  /** runc's cgroup driver, from the host's layout (cgroups.ts). */
  cgroups: RuncCgroups;
}

/** The CNI bridge network, with its address allocations kept in `ipamDir`. */
export function cniConfig(ipamDir: string): string {
  return `${JSON.stringify({
    cniVersion: '1.0.0',
    name: CNI_NETWORK,
    plugins: [
      {
        // The bridge holds the gateway address, so the harness reaches pods by their IP as a
        // kubelet's probes do; no masquerading (pods need no way out), so no iptables rule.
        type: 'bridge', bridge: CNI_BRIDGE, isGateway: true, ipMasq: false, hairpinMode: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: POD_SUBNET }]], dataDir: ipamDir },
      },
    ],
  }, null, 2)}\n`;
}

/**
 * Writes the CNI network and the registry hosts' configuration under containerdDir and
 * returns the TOML lines of containerd's CRI plugins (config version 3, containerd 2).
 */
export function criConfigLines(c: CriConfig): string[] {
  const cniDir = join(c.containerdDir, 'cni');
  mkdirSync(cniDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(cniDir, '10-hellobench.conflist'), cniConfig(join(c.containerdDir, 'cni-ipam')));
  const certs = join(c.containerdDir, 'certs.d');
  for (const host of c.registryHosts) {
    mkdirSync(join(certs, host), { recursive: true });
    writeFileSync(join(certs, host, 'hosts.toml'), [`server = "http://${host}"`, `[host."http://${host}"]`, '  capabilities = ["pull", "resolve"]', ''].join('\n'));
  }
  return [
    '[plugins."io.containerd.cri.v1.images"]',
    `  snapshotter = ${JSON.stringify(c.snapshotter)}`,
    // The Quick Starts' line: remote-snapshot labels reach the snapshotter. containerd 2.4
    // pulls through its local client then (not the transfer service), for every mode alike.
    '  disable_snapshot_annotations = false',
    '  [plugins."io.containerd.cri.v1.images".pinned_images]',
    `    sandbox = ${JSON.stringify(c.sandboxImage)}`,
    '  [plugins."io.containerd.cri.v1.images".registry]',
    `    config_path = ${JSON.stringify(certs)}`,
    '[plugins."io.containerd.cri.v1.runtime"]',
    // Pod network namespaces live under containerd's state directory, which the lab unmounts and wipes.
    '  netns_mounts_under_state_dir = true',
    // The pause container asks for OOM score -998; a machine that denies lowering it (a
    // container host without CAP_SYS_RESOURCE) fails every sandbox without this.
    '  restrict_oom_score_adj = true',
    '  [plugins."io.containerd.cri.v1.runtime".cni]',
    `    bin_dirs = [${JSON.stringify(CNI_BIN_DIR)}]`,
    `    conf_dir = ${JSON.stringify(cniDir)}`,
    // runc's cgroup driver said, not left to containerd's default; pods name the matching parent (runtimes/cri.ts).
    '  [plugins."io.containerd.cri.v1.runtime".containerd]',
    '    default_runtime_name = "runc"',
    '    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    '      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]',
    `        SystemdCgroup = ${c.cgroups.systemdCgroup}`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    // The attach stream (stdin workloads) listens on loopback only, on a port of the kernel's choosing.
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
  ];
}

/** crictl's argv prefix against containerd's socket, with a config file of its own so that it reads no other. */
export function crictlArgs(socket: string, configFile: string): string[] {
  return [tool(CRICTL), '--config', configFile, '--runtime-endpoint', `unix://${socket}`, '--image-endpoint', `unix://${socket}`];
}

function writeCrictlConfig(socket: string, configFile: string): void {
  writeFileSync(configFile, `runtime-endpoint: unix://${socket}\nimage-endpoint: unix://${socket}\ntimeout: 10\n`);
}

/** Fails, naming the clash, when the pods' subnet is already in use on this host. */
async function checkPodSubnet(): Promise<void> {
  const r = await execa(tool('ip'), ['-4', '-o', 'addr', 'show', 'to', POD_SUBNET], { reject: false });
  const users = r.stdout.split('\n').filter((l) => l.trim() && !l.includes(` ${CNI_BRIDGE} `)).map((l) => l.split(/\s+/)[1]);
  if (users.length) throw new LabError(`the pods' subnet ${POD_SUBNET} is in use on this host (${users.join(', ')}): the CRI runtime needs it free`);
}

/** Removes every pod (stopping it runs CNI DEL: veth and address go), before containerd stops. */
async function removePods(crictl: string[]): Promise<void> {
  const [bin, ...args] = crictl as [string, ...string[]];
  await execa(bin, [...args, 'rmp', '--all', '--force'], { reject: false, timeout: 60_000 });
}

/**
 * What the CRI runtime leaves in the host's namespaces and /var/lib/cni whatever happened
 * to its pods: the bridge, and libcni's cached results for our network.
 */
async function removeCniLeftovers(): Promise<string[]> {
  const removed: string[] = [];
  if (existsSync(`/sys/class/net/${CNI_BRIDGE}`)) {
    const r = await execa(tool('ip'), ['link', 'delete', CNI_BRIDGE], { reject: false });
    if (r.exitCode === 0) removed.push(`bridge ${CNI_BRIDGE}`);
  }
  if (existsSync(CNI_CACHE)) {
    for (const f of readdirSync(CNI_CACHE)) {
      if (!f.startsWith(`${CNI_NETWORK}-`)) continue;
      rmSync(join(CNI_CACHE, f), { force: true });
      removed.push(`${CNI_CACHE}/${f}`);
    }
  }
  return removed;
}

/** /proc/sys/net/ipv4/ip_forward: the bridge plugin turns it on for its gateway; the lab puts it back. */
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const readIpForward = () => readFileSync(IP_FORWARD, 'utf8').trim();

/** Puts back the IP forwarding setting the lab in `labDir` found (recorded before its first pod). */
function restoreIpForward(labDir: string): void {
  try {
    const was = readFileSync(join(labDir, 'ip_forward'), 'utf8').trim();
    if (/^[01]$/.test(was) && readIpForward() !== was) writeFileSync(IP_FORWARD, was);
  } catch { /* this lab ran no pod */ }
}

/** The CNI plugins a pod's network needs, each missing one as a doctor line. */
export function cniProblems(): string[] {
  return ['bridge', 'host-local', 'loopback'].filter((p) => !existsSync(join(CNI_BIN_DIR, p)))
    .map((p) => `missing CNI plugin ${join(CNI_BIN_DIR, p)}: run scripts/setup.sh (Debian package containernetworking-plugins)`);
}

/** The version of Debian's CNI plugins, for run.json. */
export async function cniVersion(): Promise<string> {
  const cni = await execa('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins'], { reject: false });
  return cni.exitCode === 0 ? `containernetworking-plugins ${cni.stdout.trim()} [Debian]` : 'unavailable (install containernetworking-plugins: run scripts/setup.sh)';
}

/** What a killed CRI lab leaves: the forwarding setting it changed, the bridge, libcni's results. */
export async function criLeftovers(staleLabDirs: string[]): Promise<string[]> {
  for (const dir of staleLabDirs) restoreIpForward(dir);
  return removeCniLeftovers();
}

/** crictl's argv prefix for a sample (its config file lives in the lab's directory). */
export const crictlOf = (labDir: string, containerdSock: string) => crictlArgs(containerdSock, join(labDir, 'crictl.yaml'));

/** One lab's node: the pause image it pushed, and the hooks the lab calls around containerd. */
export class CriNode implements RuntimeNode {
  /** The pods' pause image on the registry's direct host, pushed by prepare(). */
  private sandboxImage: string | null = null;

  /** Pushes the pause image unless the registry has it: one layer holding the pause binary, tagged by its hash. */
  async prepare(directHost: string, log: (line: string) => void): Promise<void> {
    const tag = createHash('sha256').update(readFileSync(tool(PAUSE))).digest('hex').slice(0, 12);
    const ref = `${directHost}/hellobench/pause:${tag}`;
    if (!(await imageLayers(directHost, 'hellobench/pause', tag))) {
      const work = join(CACHE_DIR, 'build', `pause-${tag}`);
      const { layout, ref: image, bundle, rootfs } = await emptyImage(work);
      copyFileSync(tool(PAUSE), join(rootfs, 'pause'));
      chmodSync(join(rootfs, 'pause'), 0o755);
      await execa(tool('umoci'), ['repack', '--image', image, bundle]);
      await execa(tool('umoci'), ['config', '--image', image, '--config.entrypoint', '/pause']);
      await execa(tool('skopeo'), ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:img`, `docker://${ref}`]);
      rmSync(work, { recursive: true, force: true });
      log(`prepare pause: built ${ref}`);
    }
    this.sandboxImage = ref;
  }

  async containerdConfig(ctx: NodeContext): Promise<string[]> {
    if (!this.sandboxImage) throw new LabError('the CRI runtime needs the pause image: prepare pushes it before samples');
    const saved = join(ctx.labDir, 'ip_forward');
    // Once per lab, before its first pod: the subnet is free, and how IP forwarding was.
    if (!existsSync(saved)) {
      await checkPodSubnet();
      writeFileSync(saved, readIpForward());
      writeCrictlConfig(ctx.containerdSock, join(ctx.labDir, 'crictl.yaml'));
    }
    return criConfigLines({ containerdDir: ctx.containerdDir, snapshotter: ctx.snapshotter, sandboxImage: this.sandboxImage, registryHosts: ctx.registryHosts, cgroups: ctx.cgroups });
  }

  /**
   * The pause image is on every Kubernetes node before a pod starts: pulled into the mode's
   * snapshotter over the direct path, before the sample's clock and byte count start, and
   * waited for until CRI lists it.
   */
  async started(ctx: NodeContext): Promise<void> {
    const pull = await execa(ctx.ctr, ['--address', ctx.containerdSock, '--namespace', CRI_NAMESPACE, 'image', 'pull', '--local', '--plain-http',
      '--snapshotter', ctx.snapshotter, this.sandboxImage!], { reject: false, all: true, timeout: 60_000 });
    if (pull.exitCode !== 0) throw new LabError(`pause image ${this.sandboxImage}: ctr image pull: ${lastLines(pull.all)}`);
    const [bin, ...args] = crictlOf(ctx.labDir, ctx.containerdSock) as [string, ...string[]];
    for (let i = 0; i < 100; i++) {
      if ((await execa(bin, [...args, 'inspecti', this.sandboxImage!], { reject: false, timeout: 10_000 })).exitCode === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new LabError(`pause image ${this.sandboxImage}: CRI does not list it 5 s after its pull`);
  }

  /** Pods first, through CRI: stopping a pod runs CNI DEL (its veth and address go). */
  async beforeStop(ctx: NodeContext): Promise<void> {
    await removePods(crictlOf(ctx.labDir, ctx.containerdSock));
  }

  async stopped(labDir: string): Promise<void> {
    await removeCniLeftovers();
    restoreIpForward(labDir);
  }
}
