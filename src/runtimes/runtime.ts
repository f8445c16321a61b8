// The other axis beside the snapshotter system: how a container is created and started, and
// when it counts as up. Everything that differs between runtimes lives behind this interface,
// one file per runtime: its phases, its tools and host checks, the node it needs beside
// containerd (config, network, images, clean-up) and the timed steps of one sample. The
// sampler (src/bench/sampler.ts) runs the steps in order and stops at the first that fails.
import type { Workload } from '../catalog/schema.ts';
import type { PhaseResult } from '../timing/timer.ts';
import type { ContainerdBuild } from '../lab/containerd.ts';
import type { LeftoverCleaner, RuntimeNode, SampleContext } from '../lab/node.ts';
import type { Tool } from '../lab/tools.ts';
import type { Mode } from '../systems/system.ts';
import { lastLines } from '../util/text.ts';

export type RuntimeContext = SampleContext;

/** A phase's outcome: its time, and why it failed if it did. */
export interface StepResult extends PhaseResult {
  /** Why the phase failed, in one line without the phase's name; absent when it succeeded. */
  problem?: string;
}

export interface Step {
  /** One of the runtime's `phases`. */
  phase: string;
  run(): Promise<StepResult>;
}

export interface SampleSpec {
  workload: Workload;
  mode: Mode;
  /** The image's reference through the link. */
  ref: string;
  /** A name for this sample's container (and pod), unique in the run. */
  id: string;
  /**
   * Once the workload is up and before its container ends: what to do with the server (the
   * load after ready), given the address it answers at in the lab. Outside the clock.
   */
  afterReady?: (address: string) => Promise<void>;
}

export interface ContainerRuntime {
  name: string;
  /** One line for the report's environment. */
  title: string;
  /** What starts, as the report's title says it ("containers", "pods through CRI"). */
  subject: string;
  /**
   * The phases of its samples, in order: every table, CSV, JSON and chart follows them. The
   * lazy proof is taken after `create`; `run` is last and holds the workload's output.
   */
  phases: readonly string[];
  /**
   * The phases a second start on a node that holds the image repeats (--warm): a kubelet does
   * not pull an image it has.
   */
  warmPhases: readonly string[];
  /** Ends a sample's container (and pod), keeping its image and snapshots: before a warm start. */
  end(ctx: RuntimeContext, s: SampleSpec): Promise<void>;
  /** Binaries it needs beyond containerd. */
  tools: Tool[];
  /** Host facts beyond its tools, each a doctor line when missing. */
  hostProblems?(): string[];
  /** Why it cannot drive this containerd, when it cannot (refused before any lab starts). */
  refuses?(containerd: ContainerdBuild): string | undefined;
  /** A new node for one lab, when it needs more than the lab's containerd as it is. */
  node?(): RuntimeNode;
  /** What its samples leave on the host when hellobench is killed; the next lab removes it. */
  leftovers?: LeftoverCleaner;
  /** Versions of what it drives besides its tools, for run.json. */
  versions?(): Promise<Record<string, string>>;
  /** The timed steps of one sample on a freshly reset lab. */
  steps(ctx: RuntimeContext, s: SampleSpec): Step[];
}

/** A process phase that failed: what ran, and how it ended. */
export function processProblem(what: string, r: PhaseResult, timeoutS: number): string | undefined {
  if (r.timedOut) return `${what} did not finish within ${timeoutS}s`;
  if (r.exitCode === 0 && !r.error) return undefined;
  return `${what} ${r.error ?? `exited ${r.exitCode}`}: ${lastLines(r.output)}`;
}
