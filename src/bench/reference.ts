// The calm machine, kept across runs: the canary of every machine check that found the machine
// calm, per host and CPU model, in the cache directory. A run that starts on a busy machine is
// judged against it rather than against its own (busy) fastest.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { quantile } from 'simple-statistics';
import { CACHE_DIR } from '../paths.ts';
import type { MachineCheck } from './machine.ts';

/** Calm checks kept per machine: enough for a stable low quantile, few enough to follow a machine that changed. */
const KEPT = 50;

export interface MachineReference {
  host: string;
  cpu: string;
  cores: number;
  /** Calm checks, oldest first. */
  checks: { at: string; canary_ms: number }[];
}

/** What the reference says: the calm canary (the lower quartile of calm checks' medians) and how many checks it stands on. */
export interface CalmCanary { canary_ms: number; checks: number }

export function calmCanary(ref: MachineReference): CalmCanary | undefined {
  if (!ref.checks.length) return undefined;
  return { canary_ms: Math.round(quantile(ref.checks.map((c) => c.canary_ms), 0.25) * 100) / 100, checks: ref.checks.length };
}

/** The file of this machine: host name and a digest of the CPU model and count (a resized VM is another machine). */
export function referenceFile(dir = join(CACHE_DIR, 'machine'), host = hostname(), cpu = cpus()[0]?.model ?? 'unknown', cores = cpus().length): string {
  const digest = createHash('sha256').update(`${cpu}\0${cores}`).digest('hex').slice(0, 12);
  return join(dir, `${host.replace(/[^\w.-]/g, '_')}-${digest}.json`);
}

export function loadReference(file = referenceFile()): MachineReference {
  const blank: MachineReference = { host: hostname(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, checks: [] };
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as MachineReference;
    return Array.isArray(r.checks) ? r : blank;
  } catch {
    return blank; // none yet, or unreadable: this run starts it
  }
}

/** The reference with a run's calm checks added (busy ones say nothing of the calm machine). */
export function withChecks(ref: MachineReference, checks: readonly MachineCheck[]): MachineReference {
  const calm = checks.filter((c) => !c.busy).map((c) => ({ at: c.at, canary_ms: c.canary_ms }));
  return { ...ref, checks: [...ref.checks, ...calm].slice(-KEPT) };
}

/** Written whole or not at all: a run killed while saving leaves the previous reference. */
export function saveReference(ref: MachineReference, file = referenceFile()): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(ref, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
