// What every exporter gets: the samples, the run's metadata and the summary of both.
import { UserError } from '../errors.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { orderModes } from '../systems/index.ts';
import { runtimeOf } from '../runtimes/index.ts';
import { readMeta, type RunMeta } from '../results/metadata.ts';
import { SAMPLE_SCHEMA, type Sample } from '../results/sample.ts';
import { loadSamples, META_FILE } from '../results/store.ts';
import { summarize, type Summary } from '../stats/summary.ts';
import type { Metric } from '../stats/percentile.ts';

export class ReportError extends UserError {}

export interface ReportInput {
  dir: string;
  samples: Sample[];
  /** Absent when run.json is missing (an early interruption): reports say so. */
  meta: RunMeta | null;
  summary: Summary;
  /** Lines of samples.jsonl that could not be read (an interrupted write). */
  warnings: string[];
}

export interface ReportOptions {
  percentile: number;
  /** Keep disturbed samples in the statistics; absent: as the run was told (run.json), else no. */
  keepDisturbed?: boolean;
  /** The metrics to summarize (default: every phase and the total); a history needs the total only. */
  metrics?: readonly Metric[];
}

export function loadReportInput(dir: string, opts: ReportOptions): ReportInput {
  if (!existsSync(dir)) throw new ReportError(`${dir}: no such results directory`);
  const loaded = loadSamples(dir);
  const warnings = [...loaded.skipped];
  const metaFile = join(dir, META_FILE);
  let meta: RunMeta | null = null;
  if (existsSync(metaFile)) {
    meta = readMeta(metaFile);
  } else {
    warnings.push(`${metaFile}: missing; the report lacks the run's environment`);
  }
  const newer = loaded.samples.find((s) => s.schema > SAMPLE_SCHEMA);
  if (newer) throw new ReportError(`${dir}: samples of schema ${newer.schema} are newer than this hellobench reads (${SAMPLE_SCHEMA}); update hellobench`);
  const samples = loaded.samples;
  if (samples.length === 0) throw new ReportError(`${dir}: no complete sample to report on (the run ended before its first sample)`);

  const seen = (key: 'workload' | 'mode') => [...new Set(samples.map((s) => s[key]))];
  const workloads = meta?.options.workload_names ?? seen('workload');
  const planned = meta?.options.modes ?? seen('mode');
  const modes = orderModes(planned);
  const seed = meta?.options.seed ?? 1;
  const keepDisturbed = opts.keepDisturbed ?? meta?.options.keep_disturbed === true;
  const phases = runtimeOf(meta)?.phases;
  return { dir, samples, meta, warnings, summary: summarize(samples, { percentile: opts.percentile, seed, workloads, modes, keepDisturbed, ...(opts.metrics ? { metrics: opts.metrics } : {}), ...(phases ? { phases } : {}) }) };
}
