// The seam between hellobench and a lazy-pulling system. Everything that differs between
// overlayfs, stargz, nydus and soci lives behind this interface, one file per system: the
// daemon and its config, containerd's proxy-plugin entry, the pull argv, how an image is
// prepared for a mode, the per-sample lazy proof, the tools it needs and the host facts
// it depends on. A mode is a name, a system and that system's options.
import type { Workload } from '../catalog/schema.ts';
import type { DaemonSpec } from '../lab/daemon.ts';
import type { ToolName } from '../lab/tools.ts';

/** What a system's daemon gets from the lab: an empty state directory and the registry's hosts. */
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

/** What a sample's pull and checks get: the runtime's client and this system's state directory. */
export interface SampleContext {
  /** `ctr` of the lab's containerd, and the argv that points it at the lab (address, namespace). */
  ctr: string;
  ctrArgs: string[];
  /** The system's state directory for this sample (see DaemonContext.dir). */
  dir: string;
}

/**
 * Lazy proof taken once the container is created (Nydus mounts at create, the others at pull
 * and keep the mounts): what is mounted lazily, and whether that is enough.
 */
export interface LazyProof {
  /** Lazily mounted layers (FUSE mounts, or the system's own count). */
  mounts: number;
  /** Why this is not a lazy pull, when it is not (the sample becomes `invalid`). */
  problem?: string;
}

/** What a conversion gets: a running containerd holding the original image, and where to push. */
export interface ConvertContext {
  ctr: string;
  ctrArgs: string[];
  /** containerd's socket and namespace, for tools that talk to it directly. */
  containerdSock: string;
  namespace: string;
  /** Source (the original image) and destination references, both on the registry's direct host. */
  src: string;
  dst: string;
  workload: Workload;
  /**
   * Where this mode's conversion keeps the profile it was built with (JSON lines with a `path`):
   * the profiling run's access record, or the list another mode took from it. A reused image
   * reports its count from here.
   */
  recordFile: string;
  /** A scratch directory inside the lab for the converter's TMPDIR: what it mounts there (ctr-remote's image mount) goes with the lab. */
  tmpDir: string;
  /** The workload's profile (files it read at start-up), made once per image and shared by modes. */
  profile: () => Promise<ProfileRecord>;
  log: (line: string) => void;
}

export interface ProfileRecord {
  /** The access record (JSON lines with a `path`), as the profiling run wrote it. */
  file: string;
  /** Distinct files read, in the order they were first read. */
  paths: string[];
}

export interface ConvertResult {
  /** Files the profile marked (for optimized modes), recorded in run.json. */
  profiled_files?: number;
}

/** A mode: a name (upstream's where it has one), a system, and that system's options. */
export interface Mode<O = unknown> {
  name: string;
  /** Tag prefix of this mode's image (upstream's suffixes: org, esgz-noopt, esgz, ...). */
  tag: string;
  system: SnapshotterSystem<O>;
  options: O;
  /** Whether this mode's conversion is the profiling run that other modes reuse. */
  profiler?: boolean;
}

export interface HostCheck {
  what: string;
  /** Undefined when fine; otherwise the exact reason and what to do. */
  problem?: string;
}

export interface SnapshotterSystem<O = unknown> {
  name: string;
  /** One line for doctor and the report: what it is and how it mounts here. */
  title: string;
  /** Binaries it needs beyond containerd and runc. */
  tools: ToolName[];
  /** Kernel and host facts it depends on, each checked by doctor. */
  hostChecks(): HostCheck[];
  /** Its modes, in the order reports list them. Empty for a system that cannot run anywhere we test. */
  modes: Mode<O>[];
  /** The containerd snapshotter name (`--snapshotter`). */
  snapshotter: string;
  /** The daemon for a sample of `mode` on empty state; absent for containerd's built-in snapshotters. */
  daemon?(ctx: DaemonContext, mode: Mode<O>): SystemDaemon;
  /** argv of the pull phase. */
  pullArgv(ctx: SampleContext, ref: string, mode: Mode<O>): string[];
  /** The lazy proof once the container is created; lazy systems have one, and a sample that fails it is `invalid`. */
  lazyProof?(ctx: SampleContext, layers: number): LazyProof;
  /** Everything besides the original image that shapes the converted image (the tag's hash). */
  convertKey?(mode: Mode<O>, w: Workload): Promise<unknown>;
  /** Converts the original into this mode's image and pushes it to ctx.dst; absent: the original is used. */
  convert?(ctx: ConvertContext, mode: Mode<O>): Promise<ConvertResult>;
}
