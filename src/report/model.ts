// The report's content, once, as plain data; markdown.ts and html.ts only lay it out.
import { headline, type Cell, type DaemonCost, type Summary } from '../stats/summary.ts';
import { THRESHOLDS } from '../bench/machine.ts';
import { runTrust } from '../stats/trust.ts';
import { median } from 'simple-statistics';
import { BASELINE, systemOf } from '../systems/index.ts';
import type { ReportInput } from './input.ts';
import { describe } from '../lab/link.ts';
import { describeHost, repeatArgs, shellQuote, type RunMeta } from '../results/metadata.ts';
import { runtimeOf } from '../runtimes/index.ts';
import { bytesInPhases, cellKey, counted, samplesByCell, type Sample } from '../results/sample.ts';
import { fetchedByCell } from '../stats/compare.ts';
import { loadCurves, settleTimes, SETTLE_FLOOR_MS, SETTLE_RATIO, SETTLE_WINDOW, type LoadCurve } from '../stats/after-ready.ts';
import { fidelity, floorCells, type FidelityRow, type FloorCell, PULL_ROUND_TRIPS } from '../stats/fidelity.ts';
import type { LinkSpec } from '../lab/link.ts';
import type { PreparedImage } from '../images/prepare.ts';

export interface Table { caption: string; header: string[]; rows: string[][] }

export interface ReportModel {
  title: string;
  headline: string[];
  tables: Table[];
  failures: Table;
  /** Ok samples taken while the machine was disturbed, with the figure that crossed its threshold. */
  disturbed: Table;
  /** HelloBench's finding, measured: time spent pulling (legacy) and data read (lazy). */
  finding: Table;
  /** What containerd and each snapshotter's daemon cost per sample (runs that recorded it). */
  daemons?: Table;
  /** What each cell fetched per sample: the figures compare and history judge apart from time. */
  fetched: Table;
  /** --after-ready: the load once the server was up, per image and mode. */
  afterReady?: Table;
  /** --warm: the second start against the cold one, per image and mode. */
  warm?: Table;
  /** Each mode's image against the original: size, and what its conversion took. */
  images?: Table;
  /** Legacy pulls against the floor the link sets (shaped links only). */
  fidelity?: Table;
  /** Every cell against what its link allows (shaped links). */
  floors?: Table;
  environment: [string, string][];
  reproduce: string;
  notes: string[];
}

const sec = (v: number | undefined) => (v === undefined ? 'no ok sample' : v.toFixed(3));
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);

export function speedupText(summary: Summary): string[] {
  return headline(summary).map((h) => {
    const legacy = summary.cells.find((c) => c.workload === h.workload && c.mode === BASELINE)!.stats.total!.median;
    const lazy = summary.cells.find((c) => c.workload === h.workload && c.mode === h.mode)!.stats.total!.median;
    return `${h.workload}: ${systemOf(h.mode)}'s best, ${h.mode}, starts ${h.factor.toFixed(1)}x faster than ${BASELINE} (95% CI ${h.ci[0].toFixed(1)}-${h.ci[1].toFixed(1)}x; median total ${legacy.toFixed(2)} s -> ${lazy.toFixed(2)} s)`;
  });
}

function cellRow(c: Cell, summary: Summary): string[] {
  const s = c.stats;
  const n = s.total?.n ?? 0;
  const all = c.counts.ok + c.counts.failed + c.counts.timeout + c.counts.invalid;
  const ci = s.total ? `${s.total.ci[0].toFixed(3)}-${s.total.ci[1].toFixed(3)}` : '-';
  const up = summary.speedups.find((x) => x.workload === c.workload && x.mode === c.mode);
  const factor = (f: number, ci: [number, number]) => `${f.toFixed(2)}x (${ci[0].toFixed(2)}-${ci[1].toFixed(2)})`;
  const speedup = up ? factor(up.factor, up.ci) : '-';
  const paired = up?.paired ? `${factor(up.paired.factor, up.paired.ci)}, ${up.paired.n} pairs` : '-';
  const aside = c.set_aside ? ` (+${c.set_aside} disturbed, set aside)` : '';
  return [c.mode, ...summary.phases.map((p) => sec(s[p]?.p)), sec(s.total?.p), sec(s.total?.median), ci, speedup, paired, `${n} / ${all}${aside}`, systemOf(c.mode)];
}

export function buildModel(input: ReportInput): ReportModel {
  const { summary, meta, samples } = input;
  const p = summary.percentile;
  const tables: Table[] = summary.workloads.map((w) => ({
    caption: `${w} (p${p}, seconds)`,
    header: ['mode', ...summary.phases.map((ph) => `${ph}(sec)`), `total p${p}`, 'total median', 'median 95% CI', 'speed-up (95% CI)', 'paired speed-up (95% CI)', 'n counted / n', 'system'],
    rows: summary.cells.filter((c) => c.workload === w).map((c) => cellRow(c, summary)),
  }));
  const lazyModes = summary.modes.filter((m) => m !== BASELINE);
  const finding: Table = {
    caption: `Share of start-up spent pulling (${BASELINE}) and share of the image fetched until the container was up (lazy modes)`,
    header: ['image', `${BASELINE}: pull / total (median)`, ...lazyModes.map((m) => `${m}: image fetched`)],
    rows: summary.workloads.map((w) => {
      const legacy = summary.cells.find((c) => c.workload === w && c.mode === BASELINE)?.stats;
      const share = legacy?.pull && legacy.total ? legacy.pull.median / legacy.total.median : undefined;
      return [w, pct(share), ...lazyModes.map((m) => pct(summary.cells.find((c) => c.workload === w && c.mode === m)?.fetched_share))];
    }),
  };
  const fidelityRows = meta?.link?.bandwidth ? fidelity(samples, meta.link) : [];
  const bad = samples.filter((s) => s.status !== 'ok');
  const failures: Table = {
    caption: `Samples that are not ok (${bad.length} of ${samples.length})`,
    header: ['image', 'mode', 'round', 'status', 'reason'],
    rows: bad.map((s) => [s.workload, s.mode, String(s.round + 1), s.status, s.reason ?? '']),
  };
  const shaken = samples.filter((s) => s.status === 'ok' && s.disturbed);
  const trust = runTrust(samples, summary.keep_disturbed);
  const disturbed: Table = {
    caption: `Ok samples taken while the machine was disturbed (${shaken.length} of ${samples.length}; ${summary.keep_disturbed ? 'kept in the statistics' : 'set aside'})`,
    header: ['image', 'mode', 'round', 'total (s)', 'why'],
    rows: shaken.map((s) => [s.workload, s.mode, String(s.round + 1), sec(s.total), s.disturbed!]),
  };
  const environment: [string, string][] = meta ? [
    ['run', `${meta.run_id} (${meta.outcome})`],
    ['started / finished', `${meta.started_at} / ${meta.finished_at ?? '-'}`],
    ...(meta.shards ?? []).map((sh) => [`shard ${sh.index}/${sh.count}`,
      `${sh.workloads.join(', ')}: measured by ${sh.runner} (${sh.host.cpu}; ${describeHost(sh.host)}), ${sh.samples} samples, ${sh.outcome}${sh.link_measured ? `, link RTT ${sh.link_measured.rtt_ms.toFixed(1)} ms, ${(sh.link_measured.throughput_bps / 1e6).toFixed(1)} Mbit/s` : ''}`] as [string, string]),
    [meta.shards ? 'host (shard 1)' : 'host', `${meta.host.runner ? `${meta.host.runner}: ` : ''}${meta.host.cpu}, kernel ${meta.host.kernel}`],
    [meta.shards ? 'machine (shard 1)' : 'machine', describeHost(meta.host)],
    ...(meta.machine ? [['machine checks', describeChecks(meta.machine)] as [string, string]] : []),
    ['link', describeLink(meta.link)],
    ['--containerd', meta.options.containerd],
    ['--runtime', `${meta.options.runtime}: ${runtimeOf(meta)?.title ?? 'unknown to this hellobench'}`],
    ...Object.entries(meta.systems ?? {}).map(([k, v]) => [`system ${k}`, v] as [string, string]),
    ...Object.entries(meta.versions).map(([k, v]) => [k, v] as [string, string]),
    ['order', `${meta.options.order}${meta.options.until_ci !== undefined ? `; --until-ci ${String(meta.options.until_ci)} (at most ${String(meta.options.max_samples)} rounds), ${meta.rounds ?? '?'} rounds taken` : ''}`],
    ['seed', String(meta.options.seed)],
  ] : [['run', 'run.json is missing: environment unknown']];
  const reproduce = meta
    ? repeatArgs(meta.options).map(shellQuote).join(' ')
    : 'unknown (run.json is missing)';
  const notes = [
    `Phases at the ${p}th percentile of ok samples (linear interpolation); the total is ${summary.phases.join(' + ')} per sample, so its percentile is not the sum of the phase percentiles.`,
    'Only the total compares directly across modes: prefetching moves time between create and run.',
    `Confidence intervals: 95% percentile bootstrap of the median (2000 resamples, seed ${summary.seed}); speed-ups: of median(legacy) / median(mode), resampling both; paired speed-ups: the median of legacy / mode within each round, resampling the rounds.`,
    `Disturbance: a sample is marked when, during it, CPU steal passed ${THRESHOLDS.steal_pct}%, processes outside the lab competed for over ${THRESHOLDS.competing_cpu_pct}% of the machine's CPU (the machine's CPU time less the lab's cgroup and kernel threads; time at low priority, nice > 0, weighed at ${THRESHOLDS.low_priority_weight}), memory pressure (PSI "some", share of the sample's time) passed ${THRESHOLDS.memory_pressure_pct}%, CPU or I/O pressure passed the lowest of its image x mode's calm samples by ${THRESHOLDS.pressure_margin} points (at least ${THRESHOLDS.pressure_floor}%; I/O ${THRESHOLDS.io_pressure_unreferenced}% for a cell's first sample), or the CPU canary timed before it took over ${THRESHOLDS.canary_ratio}x the calm machine's (the lower quartile of earlier runs' calm machine checks, or this run's fastest; another hellobench lab cannot run beside this one); ${summary.keep_disturbed ? 'marked samples are kept (--keep-disturbed)' : `${shaken.length} marked sample(s) are set aside (--keep-disturbed keeps them)`}.`,
    ...(meta?.unsure?.length ? [`--until-ci ${String(meta.options.until_ci)}: after ${meta.rounds} rounds, not within ±${String(meta.options.until_ci)}%: ${meta.unsure.map((u) => `${u.workload} ${u.mode} (${u.half_width_pct === undefined ? 'no counted sample' : `±${u.half_width_pct.toFixed(1)}%`}, n=${u.n})`).join('; ')}.`] : []),
    ...input.warnings,
  ];
  const daemons = daemonsTable(summary, samples);
  const fetched = fetchedTable(summary, samples);
  const warm = warmTable(input);
  const afterReady = afterReadyTable(loadCurves(samples, summary, summary.keep_disturbed));
  const floors = meta?.link ? floorsTable(orderCells(floorCells(samples, meta.link, summary.keep_disturbed), summary), meta.link) : undefined;
  return {
    title: `hellobench: start-up of ${runtimeOf(meta)?.subject ?? 'containers'}${meta ? `, run ${meta.run_id}` : ''}`,
    headline: [...(trust.problem ? [`Not a measurement: ${trust.problem}.`] : []), ...speedupText(summary)], tables, failures, disturbed, finding, fetched, environment, reproduce, notes,
    ...(fidelityRows.length ? { fidelity: fidelityTable(fidelityRows, meta!.link) } : {}),
    ...(floors ? { floors } : {}),
    ...(daemons ? { daemons } : {}),
    ...(warm ? { warm } : {}),
    ...(afterReady ? { afterReady } : {}),
    ...(meta?.prepared.length ? { images: imagesTable(meta.prepared as PreparedImage[], summary) } : {}),
  };
}

/** The machine with the lab idle before each round, against its calm reference. */
function describeChecks(m: NonNullable<RunMeta['machine']>): string {
  const busy = m.checks.filter((c) => c.busy);
  const mid = m.checks.length ? median(m.checks.map((c) => c.canary_ms)).toFixed(2) : '-';
  const calm = m.calm ? `the calm machine's ${m.calm.canary_ms.toFixed(2)} ms (${m.calm.checks} earlier checks)` : 'no calm reference (the first run on this machine)';
  return `${m.checks.length} check(s) before rounds, ${busy.length} busy${busy.length ? ` (${busy[0]!.busy})` : ''}; canary ${mid} ms (median) against ${calm}`;
}

function describeLink(link: RunMeta['link']): string {
  const m = link.measured;
  const measured = m ? `; measured RTT ${m.rtt_ms.toFixed(1)} ms, ${(m.throughput_bps / 1e6).toFixed(1)} Mbit/s` : '';
  return `${describe(link)}${measured}${link.warnings?.length ? ` (${link.warnings.join('; ')})` : ''}`;
}

export function fidelityTable(rows: FidelityRow[], link: LinkSpec): Table {
  return {
    caption: `Legacy pull against its floor: compressed size / ${describe(link)} + ${PULL_ROUND_TRIPS} RTT (ratio below 1: bytes bypass the link; pull includes unpacking, so it sits above 1)`,
    header: ['image', 'compressed MB', 'pull median (s)', 'floor (s)', 'ratio', 'n'],
    rows: rows.map((r) => [r.workload, (r.image_bytes / 1e6).toFixed(1), r.pull_median.toFixed(3), r.floor.toFixed(3), r.ratio.toFixed(2), String(r.n)]),
  };
}

/** Cells in the summary's order (its workloads, then its modes). */
function orderCells<T extends { workload: string; mode: string }>(cells: T[], summary: Summary): T[] {
  const rank = (c: T) => summary.cells.findIndex((x) => x.workload === c.workload && x.mode === c.mode);
  return [...cells].sort((a, b) => rank(a) - rank(b));
}

/**
 * Every cell against its floor on the run's link: the round trips its registry requests cost
 * at least until the container was up, times the RTT, plus the bytes of its phases through the
 * rate. Below 1 cannot happen on a link that holds; how far above is what the system (and the
 * machine: unpacking, starting) adds to the network's share.
 */
export function floorsTable(cells: FloorCell[], link: LinkSpec): Table | undefined {
  if (!cells.length) return undefined;
  return {
    caption: `Every cell against its floor on ${describe(link)}: round trips x RTT + bytes fetched until up / rate (medians per sample; measured / floor: median, lowest)`,
    header: ['image', 'mode', 'MB until up', 'round trips', 'floor (s)', 'total median (s)', 'measured / floor', 'lowest', 'n'],
    rows: cells.map((c) => [c.workload, c.mode, (c.bytes / 1e6).toFixed(1), String(c.round_trips), c.floor.toFixed(3), c.total.toFixed(3), c.ratio.toFixed(2), c.min_ratio.toFixed(2), String(c.n)]),
  };
}

/**
 * Per image and mode, the medians of what containerd and the mode's snapshotter daemon cost in a
 * sample (CPU seconds, of them those spent before the first phase, once up; peak resident MB;
 * state on disk when the sample ended): legacy's containerd is the baseline every lazy system's
 * pair compares with. The caption says what reading them cost the sampler.
 */
export function daemonsTable(summary: Summary, samples: readonly Sample[]): Table | undefined {
  const cells = summary.cells.filter((c) => c.daemons);
  if (!cells.length) return undefined;
  const f = (v: number | undefined, d = 2) => (v === undefined ? '-' : v.toFixed(d));
  const cpu = (d: DaemonCost | undefined) => (d ? `${f(d.cpu_s)}${d.start_cpu_s === undefined ? '' : ` (${f(d.start_cpu_s)})`}` : '-');
  const reads = samples.flatMap((s) => (s.daemons_read_ms === undefined ? [] : [s.daemons_read_ms]));
  const cost = reads.length ? `; reading them cost the sampler ${median(reads).toFixed(1)} ms per sample (median; at most ${Math.max(...reads).toFixed(1)} ms), outside the clock` : '';
  return {
    caption: `What the daemons cost per sample (medians of counted samples; CPU s in all, in brackets those spent starting up before the first phase; all daemons' CPU against ${BASELINE}'s containerd on the same image in this run, the figure that repeats from run to run on a shared machine${cost})`,
    header: ['image', 'mode', 'containerd CPU s', 'containerd peak RSS MB', 'snapshotter', 'snapshotter CPU s', 'snapshotter peak RSS MB', 'state on disk MB', `CPU x ${BASELINE}`, 'n'],
    rows: cells.map((c) => {
      const [name, own] = Object.entries(c.daemons!).find(([k]) => k !== 'containerd') ?? [];
      const ctd = c.daemons!.containerd;
      const disk = [ctd?.disk_mb, own?.disk_mb].filter((v): v is number => v !== undefined);
      return [c.workload, c.mode, cpu(ctd), f(ctd?.peak_rss_mb, 1), name ?? '-', cpu(own), f(own?.peak_rss_mb, 1),
        disk.length ? f(disk.reduce((a, b) => a + b, 0), 1) : '-', f(c.daemons_cpu?.x_baseline, 3), String(ctd?.n ?? own?.n ?? 0)];
    }),
  };
}

/**
 * Per image and mode, what the registry served in a sample (ok samples): bytes with their range,
 * responses, and the bytes that came after the phases (a lazy system's background fetching).
 * Fixed for a fixed image and workload: `compare` and `history` judge them apart from time.
 */
export function fetchedTable(summary: Summary, samples: readonly Sample[]): Table {
  const byCell = fetchedByCell(samples);
  const mb = (v: number) => (v / 1e6).toFixed(2);
  // Where a system counts what the container read through its mounts: fetched / read per sample.
  const reads = samples.some((s) => s.read_bytes !== undefined);
  const okByCell = samplesByCell(samples, (s) => s.status === 'ok');
  const rows = summary.cells.flatMap((c) => {
    const f = byCell.get(cellKey(c.workload, c.mode));
    if (!f) return [];
    const ok = okByCell.get(cellKey(c.workload, c.mode)) ?? [];
    const after = median(ok.map((s) => s.bytes_fetched.total - bytesInPhases(s)));
    const range = f.bytes.min === f.bytes.max ? 'all the same' : `${mb(f.bytes.min)}-${mb(f.bytes.max)}`;
    const read = ok.filter((s) => s.read_bytes !== undefined && s.read_bytes > 0);
    const amplification = read.length ? [mb(median(read.map((s) => s.read_bytes!))), `${median(read.map((s) => s.bytes_fetched.total / s.read_bytes!)).toFixed(2)}x`] : ['-', '-'];
    return [[c.workload, c.mode, mb(f.bytes.median), range, f.requests ? String(f.requests.median) : '-', mb(after), ...(reads ? amplification : []), String(ok.length)]];
  });
  return {
    caption: `What the registry served per sample (medians of ok samples; blob and manifest responses): fixed for a fixed image and workload, so compare and history judge it apart from time${reads ? '; where the system counts what the kernel read from its mounts for the container (readahead included), the read amplification: fetched / read' : ''}`,
    header: ['image', 'mode', 'MB fetched', 'range (MB)', 'requests', 'of it after the phases (MB)', ...(reads ? ['read through the mounts (MB)', 'fetched / read'] : []), 'n'],
    rows,
  };
}

/**
 * --after-ready: per image and mode, what the server answered once up (medians over samples),
 * and from which second its p99 stayed within reach of the baseline's.
 */
export function afterReadyTable(curves: readonly LoadCurve[]): Table | undefined {
  if (!curves.length) return undefined;
  const settles = settleTimes(curves);
  const ms = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));
  return {
    caption: `The first seconds of service (--after-ready): latency of the answers once the server was up (medians over samples of each second's figures); the p99 settles from the second after which it stays within ${Math.round((SETTLE_RATIO - 1) * 100)}% (or ${SETTLE_FLOOR_MS} ms) of ${BASELINE}'s, over windows of ${SETTLE_WINDOW} s; setup: what the load wrote before its first request (a database's table), after ready`,
    header: ['image', 'mode', 'setup s', 'answered', 'errors', 'p50 ms', 'p99 ms', 'p99 in second 1 (ms)', `p99 within reach of ${BASELINE} from second`, 'fetched meanwhile (MB)', 'n'],
    rows: curves.map((c) => {
      const settle = settles.find((x) => x.workload === c.workload && x.mode === c.mode);
      const within = c.mode === BASELINE ? 'reference' : !settle ? '-' : settle.settled_s === undefined ? 'not in the load' : String(settle.settled_s + 1);
      const mid = (k: 'p50_ms' | 'p99_ms') => (c.points.length ? median(c.points.map((p) => p[k])) : undefined);
      return [c.workload, c.mode, c.setup_s === undefined ? '-' : c.setup_s.toFixed(3), String(c.answered), String(c.errors), ms(mid('p50_ms')), ms(mid('p99_ms')), ms(c.points[0]?.p99_ms), within, (c.bytes_fetched / 1e6).toFixed(2), String(c.n)];
    }),
  };
}

/**
 * --warm: per image and mode, the second start (the node holding the image, its snapshots and
 * caches) against the cold one: medians over the counted samples, and what the registry served
 * during the second start (a lazy system still fetching in the background shows here).
 */
export function warmTable(input: ReportInput): Table | undefined {
  const { summary, samples } = input;
  const cells = summary.cells.filter((c) => c.stats.warm);
  if (!cells.length) return undefined;
  const failed = samples.filter((s) => s.warm && s.warm.status !== 'ok').length;
  const warmByCell = samplesByCell(samples, (s) => s.warm?.status === 'ok' && counted(s, summary.keep_disturbed));
  return {
    caption: `The second start (--warm): the same image again on the node the cold start left (medians; ${failed} second start(s) not ok)`,
    header: ['image', 'mode', 'cold total (s)', 'warm total (s)', 'warm 95% CI', 'warm / cold', 'fetched during warm (MB)', 'n'],
    rows: cells.map((c) => {
      const cold = c.stats.total!;
      const w = c.stats.warm!;
      const bytes = (warmByCell.get(cellKey(c.workload, c.mode)) ?? []).map((s) => s.warm!.bytes_fetched);
      return [c.workload, c.mode, cold.median.toFixed(3), w.median.toFixed(3), `${w.ci[0].toFixed(3)}-${w.ci[1].toFixed(3)}`,
        (w.median / cold.median).toFixed(2), bytes.length ? (median(bytes) / 1e6).toFixed(2) : '-', String(w.n)];
    }),
  };
}

/** Per image and mode measured: the image's size against the original, and its conversion's time. */
export function imagesTable(prepared: readonly PreparedImage[], summary: Summary): Table {
  const original = (w: string) => prepared.find((i) => i.workload === w && i.mode === BASELINE);
  const rows = summary.workloads.flatMap((w) => summary.modes.flatMap((m) => {
    const i = prepared.find((x) => x.workload === w && x.mode === m);
    if (!i) return [];
    const org = original(w);
    const ratio = org && org.compressed_bytes > 0 ? `${((i.compressed_bytes / org.compressed_bytes - 1) * 100).toFixed(1)}%` : '-';
    const meta = i.metadata ? `${i.metadata.what}: ${(i.metadata.bytes / 1e3).toFixed(1)} kB (${((i.metadata.bytes / i.compressed_bytes) * 100).toFixed(2)}%)` : '-';
    return [[w, m, `${(i.compressed_bytes / 1e6).toFixed(1)}`, String(i.layers), m === BASELINE ? '-' : ratio,
      i.conversion_s === undefined ? '-' : i.conversion_s.toFixed(1), i.profiled_files === undefined ? '-' : String(i.profiled_files), meta]];
  }));
  return {
    caption: "Images per mode: compressed size against the original, what the conversion took when the image was made, and the lazy system's own metadata in it (share of the image)",
    header: ['image', 'mode', 'compressed MB', 'layers', 'vs original', 'conversion s', 'profiled files', 'metadata'],
    rows,
  };
}
