// What the CRI runtime adds to the lab: containerd's CRI plugin configured as the snapshotters'
// Kubernetes Quick Starts say (the mode's snapshotter, snapshot annotations on), a bridge
// network through Debian's CNI plugins, the pods' pause image, and the removal of every pod
// (with its network namespace, veth and address) before containerd stops. One lab runs per
// machine, so the bridge and the CNI network have fixed names.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { RuncCgroups } from './cgroups.ts';
import { LabError } from './errors.ts';
import { tool } from './tools.ts';

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
  return [tool('crictl'), '--config', configFile, '--runtime-endpoint', `unix://${socket}`, '--image-endpoint', `unix://${socket}`];
}

export function writeCrictlConfig(socket: string, configFile: string): void {
  writeFileSync(configFile, `runtime-endpoint: unix://${socket}\nimage-endpoint: unix://${socket}\ntimeout: 10\n`);
}

/** Fails, naming the clash, when the pods' subnet is already in use on this host. */
export async function checkPodSubnet(): Promise<void> {
  const r = await execa(tool('ip'), ['-4', '-o', 'addr', 'show', 'to', POD_SUBNET], { reject: false });
  const users = r.stdout.split('\n').filter((l) => l.trim() && !l.includes(` ${CNI_BRIDGE} `)).map((l) => l.split(/\s+/)[1]);
  if (users.length) throw new LabError(`the pods' subnet ${POD_SUBNET} is in use on this host (${users.join(', ')}): the CRI runtime needs it free`);
}

/** Removes every pod (stopping it runs CNI DEL: veth and address go), before containerd stops. */
export async function removePods(crictl: string[]): Promise<void> {
  const [bin, ...args] = crictl as [string, ...string[]];
  await execa(bin, [...args, 'rmp', '--all', '--force'], { reject: false, timeout: 60_000 });
}

/**
 * What the CRI runtime leaves in the host's namespaces and /var/lib/cni whatever happened
 * to its pods: the bridge, and libcni's cached results for our network.
 */
export async function removeCniLeftovers(): Promise<string[]> {
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
export const readIpForward = () => readFileSync(IP_FORWARD, 'utf8').trim();

/** Puts back the IP forwarding setting the lab in `labDir` found (recorded before its first pod). */
export function restoreIpForward(labDir: string): void {
  try {
    const was = readFileSync(join(labDir, 'ip_forward'), 'utf8').trim();
    if (/^[01]$/.test(was) && readIpForward() !== was) writeFileSync(IP_FORWARD, was);
  } catch { /* this lab ran no pod */ }
}
