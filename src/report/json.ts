// Machine-readable results: summary.json (a versioned schema, the figures of summary.csv with
// the run's link, versions and outcome) and github-action-benchmark's customSmallerIsBetter.
import { z } from 'zod';
import { RunOptionsSchema } from '../results/metadata.ts';
import { metricsOf } from '../stats/summary.ts';
import { systemOf } from '../systems/index.ts';
import type { ReportInput } from './input.ts';
import { roundTo } from '../util/round.ts';

export const SUMMARY_JSON_VERSION = 1;

const interval = z.tuple([z.number(), z.number()]);
const StatSchema = z.object({
  n: z.number().int().positive(), median: z.number(), mean: z.number(), stddev: z.number(), min: z.number(), max: z.number(),
  p: z.number(), ci: interval,
});

export const SummaryJsonSchema = z.object({
  schema: z.literal('hellobench/summary'),
  version: z.literal(SUMMARY_JSON_VERSION),
  run_id: z.string().nullable(),
  /** complete | interrupted: ... | incomplete: ... (merged shards); null without run.json. */
  outcome: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  options: RunOptionsSchema.nullable(),
  link: z.object({
    profile: z.string(), bandwidth_bps: z.number().nullable(), rtt_ms: z.number().nullable(),
    measured: z.object({ rtt_ms: z.number(), connect_ms: z.number().nullable(), throughput_bps: z.number() }).nullable(),
  }).nullable(),
  versions: z.record(z.string()),
  runners: z.array(z.object({ runner: z.string(), workloads: z.array(z.string()) })),
  /** Percentile `p` of each phase. */
  percentile: z.number(),
  keep_disturbed: z.boolean(),
  samples: z.object({ total: z.number().int(), ok: z.number().int(), set_aside: z.number().int() }),
  cells: z.array(z.object({
    workload: z.string(), mode: z.string(), system: z.string(),
    counts: z.object({ ok: z.number().int(), failed: z.number().int(), timeout: z.number().int(), invalid: z.number().int() }),
    set_aside: z.number().int(),
    /**
     * Seconds, per phase of the run's runtime, `total`, and `warm` (the second start's total, runs
     * with --warm); a phase without an ok sample is absent, never zero.
     */
    phases: z.record(StatSchema),
    fetched_share: z.number().nullable(),
    /** Medians per daemon (containerd, the snapshotter's) over counted samples, `start_*` once it was up before the first phase; absent in older runs. */
    daemons: z.record(z.object({ cpu_s: z.number(), peak_rss_mb: z.number(), disk_mb: z.number().optional(), start_cpu_s: z.number().optional(), start_rss_mb: z.number().optional(), n: z.number().int() })).optional(),
    /** All daemons' CPU seconds (median per sample), and against the baseline's on the same image. */
    daemons_cpu: z.object({ s: z.number(), x_baseline: z.number().optional() }).optional(),
  })),
  speedups: z.array(z.object({
    workload: z.string(), mode: z.string(), factor: z.number(), ci: interval,
    paired: z.object({ factor: z.number(), ci: interval, n: z.number().int() }).nullable(),
  })),
});
export type SummaryJson = z.infer<typeof SummaryJsonSchema>;

export function summaryJson(input: ReportInput): SummaryJson {
  const { meta, summary, samples } = input;
  const l = meta?.link;
  return {
    schema: 'hellobench/summary', version: SUMMARY_JSON_VERSION,
    run_id: meta?.run_id ?? null, outcome: meta?.outcome ?? null, started_at: meta?.started_at ?? null, finished_at: meta?.finished_at ?? null,
    options: meta?.options ?? null,
    link: l ? {
      profile: l.profile, bandwidth_bps: l.bandwidth ?? null, rtt_ms: l.rttMs ?? null,
      measured: l.measured ? { rtt_ms: l.measured.rtt_ms, connect_ms: l.measured.connect_ms ?? null, throughput_bps: l.measured.throughput_bps } : null,
    } : null,
    versions: meta?.versions ?? {},
    runners: meta?.shards ? meta.shards.map((s) => ({ runner: s.runner, workloads: s.workloads }))
      : meta ? [{ runner: meta.host.runner ?? 'unknown', workloads: meta.options.workload_names }] : [],
    percentile: summary.percentile, keep_disturbed: summary.keep_disturbed,
    samples: {
      total: samples.length, ok: samples.filter((s) => s.status === 'ok').length,
      set_aside: summary.cells.reduce((n, c) => n + c.set_aside, 0),
    },
    cells: summary.cells.map((c) => ({
      workload: c.workload, mode: c.mode, system: systemOf(c.mode), counts: c.counts, set_aside: c.set_aside,
      phases: Object.fromEntries(metricsOf(summary).flatMap((k) => (c.stats[k] ? [[k, c.stats[k]]] : []))),
      fetched_share: c.fetched_share ?? null,
      ...(c.daemons ? { daemons: c.daemons } : {}),
      ...(c.daemons_cpu ? { daemons_cpu: c.daemons_cpu } : {}),
    })),
    speedups: summary.speedups.map((s) => ({ workload: s.workload, mode: s.mode, factor: s.factor, ci: s.ci, paired: s.paired ?? null })),
  };
}

/** One entry of github-action-benchmark's `customSmallerIsBetter` tool. */
export interface BenchmarkEntry { name: string; unit: string; value: number; range?: string; extra?: string }

/**
 * The median total of every image and mode, in seconds, for github-action-benchmark. `range`
 * is the half-width of the median's 95% interval; `extra` holds the phases and the interval.
 */
export function benchmarkEntries(input: ReportInput): BenchmarkEntry[] {
  return input.summary.cells.flatMap((c) => {
    const t = c.stats.total;
    if (!t) return [];
    const phases = input.summary.phases.map((p) => `${p} ${c.stats[p]!.median.toFixed(3)} s`).join(', ');
    return [{
      name: `${c.workload} ${c.mode} start-up (median total)`, unit: 's', value: round(t.median),
      range: `± ${round((t.ci[1] - t.ci[0]) / 2)}`,
      extra: `n=${t.n}${c.set_aside ? ` (+${c.set_aside} set aside)` : ''}\n95% CI ${t.ci[0].toFixed(3)}-${t.ci[1].toFixed(3)} s\n${phases}`,
    }];
  });
}

const round = (v: number) => roundTo(v, 4);
