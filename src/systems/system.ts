// The seam between hellobench and a lazy-pulling system. Everything that differs between
// overlayfs, stargz, nydus and soci lives behind this interface, one file per system: the
// daemon and its config, containerd's proxy-plugin entry, the pull argv, how an image is
// prepared for a mode, the per-sample lazy proof, the tools it needs and the host facts
// it depends on. A mode is a name, a system and that system's options.
import type { Workload } from '../catalog/schema.ts';
import type { DaemonContext, SampleContext, SystemDaemon } from '../lab/node.ts';
import type { Tool } from '../lab/tools.ts';

export type { DaemonContext, SampleContext, SystemDaemon };

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

/** A registry descriptor as a manifest lists it. */
export interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

/** A manifest or an index, as the registry serves it. */
export interface Manifest { mediaType?: string; layers?: Descriptor[]; manifests?: Descriptor[]; config?: Descriptor; annotations?: Record<string, string> }

/** A pushed image as a system reads its own metadata from the registry (images/registry.ts makes one). */
export interface RegistryImage {
  /** What the tag points at: a manifest, or an index (SOCI's holds the image and its SOCI index). */
  top: Manifest;
  /** The image manifest's layers (the first manifest of an index). */
  layers: Descriptor[];
  manifest(digest: string): Promise<Manifest>;
  /** The last `bytes` bytes of a blob of `size` bytes. */
  blobTail(digest: string, size: number, bytes: number): Promise<Buffer>;
}

/** The lazy system's own metadata in a converted image: what it is, and its bytes in the registry. */
export interface ImageMetadata { what: string; bytes: number }

/** A mode: a name (upstream's where it has one), a system, and that system's options. */
export interface Mode<O = unknown> {
  name: string;
  /** Tag prefix of this mode's image (upstream's suffixes: org, esgz-noopt, esgz, ...). */
  tag: string;
  system: SnapshotterSystem<O>;
  options: O;
  /**
   * How its conversion takes part in the workload's profile (the files it reads at start-up):
   * `records` it (the one profiling run per image, which other modes reuse), or `reads` the
   * record another mode's run made. Absent: it needs none from others.
   */
  profile?: 'records' | 'reads';
  /** The mode every speed-up is measured against (exactly one). */
  baseline?: boolean;
}

export interface HostCheck {
  what: string;
  /** Undefined when fine; otherwise the exact reason and what to do. */
  problem?: string;
}

/**
 * How far what a system fetches for one unchanged image and workload moves between runs, where
 * timing decides some fetches: a change of bytes within `share` (a fraction of the median), or
 * of registry requests by `requests` or fewer, is not counted as the system's.
 */
export interface FetchNoise { share: number; requests: number }

/** Most systems fetch the same bytes and requests every time: 5% and a single request. */
export const FETCH_NOISE: FetchNoise = { share: 0.05, requests: 1 };

export interface SnapshotterSystem<O = unknown> {
  name: string;
  /** One line for doctor and the report: what it is and how it mounts here. */
  title: string;
  /** Binaries it needs beyond containerd and runc: what they are called, how to get them, their version flag. */
  tools: Tool[];
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
  /**
   * Bytes the kernel has read from its mounts for the container so far in the sample (readahead
   * included), where the system counts them: with what the registry served, the read amplification.
   */
  readBytes?(ctx: SampleContext): Promise<number>;
  /** Everything besides the original image that shapes the converted image (the tag's hash). */
  convertKey?(mode: Mode<O>, w: Workload): Promise<unknown>;
  /** Converts the original into this mode's image and pushes it to ctx.dst; absent: the original is used. */
  convert?(ctx: ConvertContext, mode: Mode<O>): Promise<ConvertResult>;
  /** Its own fetch noise where it is wider than FETCH_NOISE, with what it was measured on. */
  fetchNoise?: FetchNoise;
  /** The size of its metadata in a converted image (TOCs, bootstrap, ztocs), read from the registry. */
  metadata?(image: RegistryImage): Promise<ImageMetadata>;
}
