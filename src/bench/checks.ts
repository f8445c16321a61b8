// The run's machine checks: the machine with the lab idle, before each round, against the
// calm machine of earlier runs here (reference.ts); kept in run.json, logged as they come,
// and the calm ones added to the reference when the run ends.
import type { RunMeta } from '../results/metadata.ts';
import { MachineWatch, type LabUsageReader, type MachineCheck } from './machine.ts';
import { calmCanary, loadReference, saveReference, withChecks, type CalmCanary } from './reference.ts';

export class MachineChecks {
  private readonly reference = loadReference();
  private readonly calm = calmCanary(this.reference);
  private readonly checks: MachineCheck[] = [];
  /** The run's watch: every sample is judged by it against the same calm machine. */
  readonly watch: MachineWatch;

  /** `earlier`: the checks of the run this one resumes. */
  constructor(usage: LabUsageReader, private readonly earlier: readonly MachineCheck[], private readonly log: (line: string) => void) {
    this.watch = new MachineWatch(usage, this.calm?.canary_ms);
  }

  /** Checks the machine before `round` (0-based) and logs it; a busy machine as a warning. */
  async check(round: number): Promise<void> {
    const c = await this.watch.check(round);
    this.checks.push(c);
    this.log(checkLine(c, this.calm));
  }

  /** What run.json keeps: the calm reference used and every check so far. */
  record(): NonNullable<RunMeta['machine']> {
    return { ...(this.calm ? { calm: this.calm } : {}), checks: [...this.earlier, ...this.checks] };
  }

  /** Adds this run's calm checks to the machine's reference. */
  save(): void {
    saveReference(withChecks(this.reference, this.checks));
  }
}

/** A machine check in one line; a busy machine as a warning. */
function checkLine(c: MachineCheck, calm: CalmCanary | undefined): string {
  const when = c.round === 0 ? 'before the first round' : `before round ${c.round + 1}`;
  const others = c.competing_cpu_pct === undefined ? '' : `, CPU of others ${c.foreign_cpu_pct?.toFixed(1)}% (${c.low_priority_cpu_pct?.toFixed(1)}% at low priority), ${c.competing_cpu_pct.toFixed(1)}% competing`;
  const canary = `canary ${c.canary_ms.toFixed(2)} ms (${calm ? `calm machine ${calm.canary_ms.toFixed(2)} ms over ${calm.checks} checks` : 'no calm reference yet on this machine'})`;
  return c.busy ? `warning: the machine is busy ${when}: ${c.busy}; ${canary}${others}; samples it slows are set aside and taken again`
    : `machine ${when}: calm; ${canary}${others}`;
}
