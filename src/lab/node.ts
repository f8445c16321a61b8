// What the lab runs beside containerd for a sample, as the layers above declare it: the
// snapshotter of the mode measured (src/systems/) and the node a runtime needs
// (src/runtimes/). The lab starts, resets and stops them without knowing which they are.
import type { RuncCgroups } from './cgroups.ts';
import type { DaemonSpec } from './daemon.ts';

/** What a snapshotter's daemon gets from the lab: an empty state directory and the registry's hosts. */
export interface DaemonContext {
  /** Empty directory owned by this system for this sample; the lab unmounts and wipes it afterwards. */
  dir: string;
  /** Registry hosts the daemon must reach over plain HTTP (through the link and direct). */
  registryHosts: string[];
  /** containerd's socket (it starts after the daemon), for daemons that read its content store. */
  containerdSock: string;
}

/** A daemon a system runs beside containerd, and how containerd reaches it. */
export interface SystemDaemon {
  spec: Pick<DaemonSpec, 'argv' | 'stopSignal' | 'readyTimeoutMs'>;
  /** Unix socket of the proxy snapshotter: the lab waits for it and names it in containerd's config. */
  socket: string;
  /** Extra TOML lines inside containerd's `[proxy_plugins.<name>]` table (e.g. exports). */
  proxyPluginLines?: string[];
  /** Whether containerd's transfer service must unpack with this snapshotter (containerd 2). */
  unpack?: boolean;
}

/** The snapshotter a sample runs on: who it is, containerd's name for it, and its daemon if it has one. */
export interface LabSnapshotter {
  /** Names its state directory (and its daemon's log). */
  name: string;
  /** containerd's snapshotter name. */
  snapshotter: string;
  /** Absent for containerd's built-in snapshotters. */
  daemon?: (ctx: DaemonContext) => SystemDaemon;
}

/** What a sample's runtime steps and lazy proof get of the lab. */
export interface SampleContext {
  /** `ctr` of the lab's containerd, and the argv that points it at the lab (address, namespace). */
  ctr: string;
  ctrArgs: string[];
  /** The state directory of the mode's system for this sample (see DaemonContext.dir). */
  dir: string;
  /** runc's cgroup driver and the lab's parent cgroup, from the host's layout: every container is told them. */
  cgroups: RuncCgroups;
  labDir: string;
  containerdSock: string;
}

/** What a runtime's node hooks get of the lab for a sample. */
export interface NodeContext {
  labDir: string;
  /** containerd's own directory for this sample (wiped on reset). */
  containerdDir: string;
  containerdSock: string;
  /** `ctr` of the lab's containerd. */
  ctr: string;
  /** The snapshotter of the mode measured. */
  snapshotter: string;
  /** Registry hosts reached over plain HTTP (through the link and direct). */
  registryHosts: string[];
  /** runc's cgroup driver and parent on this host (cgroups.ts). */
  cgroups: RuncCgroups;
}

/**
 * What a runtime adds to the lab's containerd for its samples (a kubelet's node for CRI:
 * plugins, network, pause image). Every hook is optional; `ctr` needs none.
 */
export interface RuntimeNode {
  /** Before any sample, with the registry up: what the node needs there (e.g. the pods' pause image). */
  prepare?(directHost: string, log: (line: string) => void): Promise<void>;
  /** containerd config lines; the CRI plugins stay disabled when a runtime gives none. */
  containerdConfig?(ctx: NodeContext): Promise<string[]>;
  /** After containerd is up, before the sample's clock and byte count start. */
  started?(ctx: NodeContext): Promise<void>;
  /** Before containerd stops (what must go through containerd, such as pods and their network). */
  beforeStop?(ctx: NodeContext): Promise<void>;
  /** When the lab stops: what the runtime changed outside the lab's directory. */
  stopped?(labDir: string): Promise<void>;
}

/**
 * What a runtime's samples leave on the host when hellobench is killed: every runtime's is
 * removed when the next lab opens, whichever runtime that one runs. Gets the dead labs'
 * directories (still there) and returns what it removed, for the log.
 */
export type LeftoverCleaner = (staleLabDirs: string[]) => Promise<string[]>;
