// The other axis beside the snapshotter system: how a container is created and started, and
// when it counts as up. `ctr` drives containerd's own API as upstream's HelloBench does;
// `cri` drives its CRI plugin as a kubelet does. A runtime turns one sample into timed steps,
// one per phase; the sampler runs them in order, times each through bench/timer.ts, and
// stops at the first that fails.
import type { Workload } from '../catalog/schema.ts';
import type { PhaseResult } from '../bench/timer.ts';
import type { RuncCgroups } from '../lab/cgroups.ts';
import type { ToolName } from '../lab/tools.ts';
import type { PhaseName } from '../results/sample.ts';
import type { Mode, SampleContext } from '../systems/system.ts';
import { lastLines } from '../util/text.ts';

/** What a sample gets of the lab's runtime: the system's context plus the CRI client. */
export interface RuntimeContext extends SampleContext {
  /** runc's cgroup driver and the lab's parent cgroup, from the host's layout: every container is told them. */
  cgroups: RuncCgroups;
  /** crictl's argv prefix against the lab's containerd (CRI runtime only). */
  crictl?: string[];
  /** An empty directory of this sample's for pod and container files (CRI runtime only). */
  podDir?: string;
}

/** A phase's outcome: its time, and why it failed if it did. */
export interface StepResult extends PhaseResult {
  /** Why the phase failed, in one line without the phase's name; absent when it succeeded. */
  problem?: string;
}

export interface Step {
  phase: PhaseName;
  run(): Promise<StepResult>;
}

export interface SampleSpec {
  workload: Workload;
  mode: Mode;
  /** The image's reference through the link. */
  ref: string;
  /** A name for this sample's container (and pod), unique in the run. */
  id: string;
}

export interface ContainerRuntime {
  name: string;
  /** One line for the report's environment. */
  title: string;
  /** The phases of its samples, in order; `create` is where the lazy proof is taken, `run` is last. */
  phases: readonly PhaseName[];
  /** Whether it starts pods: the lab then runs containerd's CRI plugin, a CNI network and the pause image. */
  pods: boolean;
  /** Binaries it needs beyond containerd. */
  tools: ToolName[];
  /** The timed steps of one sample on a freshly reset lab. */
  steps(ctx: RuntimeContext, s: SampleSpec): Step[];
}

/** A process phase that failed: what ran, and how it ended. */
export function processProblem(what: string, r: PhaseResult, timeoutS: number): string | undefined {
  if (r.timedOut) return `${what} did not finish within ${timeoutS}s`;
  if (r.exitCode === 0 && !r.error) return undefined;
  return `${what} ${r.error ?? `exited ${r.exitCode}`}: ${lastLines(r.output)}`;
}
