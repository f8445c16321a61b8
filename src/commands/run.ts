// run: prepare what is missing, then measure every planned sample on a cold lab.
import { join } from 'node:path';
import { ORDERS, rounds, type Order } from '../bench/plan.ts';
import { MachineWatch, type MachineCheck } from '../bench/machine.ts';
import { calmCanary, loadReference, saveReference, withChecks, type CalmCanary } from '../bench/reference.ts';
import { runTrust } from '../stats/trust.ts';
import { measureSample, type SampleJob } from '../bench/sampler.ts';
import { FetchLog } from '../lab/fetchlog.ts';
import { containerdBuild } from '../lab/containerd.ts';
import { describe, resolveLink, type LinkSpec } from '../lab/link.ts';
import { probeLink, probeSize, pushProbeBlob } from '../lab/probe.ts';
import { oneLine } from '../util/text.ts';
import { collectVersions, currentCommit, hostInfo, RESULTS_FORMAT, writeMeta, type RunMeta, type RunOptions } from '../results/metadata.ts';
import type { Workload } from '../catalog/schema.ts';
import type { Mode } from '../systems/index.ts';
import { PHASES, SAMPLE_SCHEMA, type Sample } from '../results/sample.ts';
import { unsureCells } from '../stats/summary.ts';
import { SAMPLES_FILE, SampleStore } from '../results/store.ts';
import { cliOptionsOf, imageChange, jobDone, loadPrior, planChange, workloadsHash } from '../bench/resume.ts';
import { UserError } from '../errors.ts';
import { appendFileSync, existsSync } from 'node:fs';
import { buildReport } from '../report/index.ts';
import type { Lab } from '../lab/lab.ts';
import { markdownTable } from '../report/markdown.ts';
import { buildModel } from '../report/model.ts';
import { UsageError } from './errors.ts';
import { DEFAULT_RUNTIME, runtimeByName } from '../runtimes/index.ts';
import { log, select, withLab, type SelectionOptions } from './common.ts';
import { prepareIn } from './prepare.ts';
import { parseShard, shardOf } from './shard.ts';
import { planProgress, progressCount } from './progress.ts';
import type { PrepareFailure } from '../images/prepare.ts';

export interface RunCliOptions extends SelectionOptions {
  link: string;
  bandwidth?: string;
  rtt?: string;
  samples: string;
  seed?: string;
  out?: string;
  percentile: string;
  sourceRegistry?: string;
  runtime: string;
  order: string;
  untilCi?: string;
  maxSamples?: string;
  keepDisturbed?: boolean;
  shard?: string;
  /** Failed samples a run may have and still exit 0: a count, or a share of the samples as `N%`. */
  maxFailed?: string;
  /** An interrupted run's results directory: go on with its plan. */
  resume?: string;
}

/** A disturbed sample (set aside) is taken again at the end of its round, at most this many times. */
const MAX_RETAKES = 2;
/** Rounds --until-ci takes at most when --max-samples is absent. */
export const DEFAULT_MAX_ROUNDS = 20;

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a whole number >= 1, got "${v}"`);
  return n;
}

const commitOf = async () => { const c = await currentCommit(); return c ? { commit: c } : {}; };

/** --max-failed: `N` samples or `N%` of them; a run with more failed samples exits 1. */
export function failedAllowed(v: string | undefined, samples: number): number {
  if (v === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(v.trim());
  if (!m || (m[2] === '' && !Number.isInteger(Number(m[1]))) || (m[2] === '%' && Number(m[1]) > 100)) {
    throw new UsageError(`--max-failed: expected a count such as 2 or a share such as 10%, got "${v}"`);
  }
  return m[2] ? Math.floor((Number(m[1]) / 100) * samples) : Number(m[1]);
}

/** Checks the options and resolves them into what run.json records (no lab needed). */
export function resolveRun(opts: RunCliOptions): { options: RunOptions; workloads: Workload[]; modes: Mode[]; link: LinkSpec; maxRounds: number } {
  const { workloads: selected, modes } = select(opts, true);
  const minRounds = positiveInt(opts.samples, '--samples');
  if (!ORDERS.includes(opts.order as Order)) throw new UsageError(`--order: expected ${ORDERS.join(' or ')}, got "${opts.order}"`);
  const order = opts.order as Order;
  let untilCi: number | undefined;
  if (opts.untilCi !== undefined) {
    untilCi = Number(opts.untilCi);
    if (!(untilCi > 0 && untilCi < 100)) throw new UsageError(`--until-ci: expected a percentage such as 5, got "${opts.untilCi}"`);
  }
  failedAllowed(opts.maxFailed, 0); // refused before any lab starts
  if (opts.maxSamples !== undefined && untilCi === undefined) throw new UsageError('--max-samples: only with --until-ci (without it, --samples is the number of samples)');
  const maxRounds = untilCi === undefined ? minRounds : opts.maxSamples !== undefined ? positiveInt(opts.maxSamples, '--max-samples') : Math.max(minRounds, DEFAULT_MAX_ROUNDS);
  if (maxRounds < minRounds) throw new UsageError(`--max-samples ${maxRounds} is below --samples ${minRounds}: --samples is where --until-ci starts`);
  const p = Number(opts.percentile);
  if (!(p > 0 && p <= 100)) throw new UsageError(`--percentile: expected a number in (0, 100], got "${opts.percentile}"`);
  const link = resolveLink(opts.link, opts.bandwidth, opts.rtt);
  const runtime = runtimeByName(opts.runtime ?? DEFAULT_RUNTIME);
  // CRI is containerd 2's here (config version 3): refused before any lab starts.
  if (runtime.name !== 'ctr' && containerdBuild(opts.containerd).configVersion !== 3) throw new UsageError(`--runtime ${runtime.name}: needs --containerd 2 (${containerdBuild(opts.containerd).label} is driven through ctr only)`);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard, selected.length);
  // Shards run on different machines: only a given seed gives them one plan.
  if (shard && opts.seed === undefined) throw new UsageError('--shard: give --seed too, so that every shard follows the same plan');
  const seed = opts.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positiveInt(opts.seed, '--seed');
  const workloads = shard ? shardOf(selected, shard.index, shard.count) : selected;
  const options: RunOptions = {
    link: opts.link, ...(opts.bandwidth ? { bandwidth: opts.bandwidth } : {}), ...(opts.rtt ? { rtt: opts.rtt } : {}),
    workloads: opts.workloads, only: opts.only ?? null, ...(opts.category ? { category: opts.category } : {}),
    ...(opts.sourceRegistry ? { source_registry: opts.sourceRegistry } : {}), ...(opts.allowOutsideMounts ? { allow_outside_mounts: true } : {}),
    workload_names: workloads.map((w) => w.name), modes: modes.map((m) => m.name), containerd: opts.containerd, runtime: runtime.name, samples: minRounds, order,
    ...(untilCi !== undefined ? { until_ci: untilCi, max_samples: maxRounds } : {}), keep_disturbed: opts.keepDisturbed ?? false, seed, percentile: p,
    ...(shard ? { shard: { ...shard, of: selected.map((w) => w.name) } } : {}),
  };
  return { options, workloads, modes, link, maxRounds };
}

export async function runCommand(opts: RunCliOptions): Promise<number> {
  const prior = opts.resume === undefined ? undefined : loadPrior(opts.resume);
  const { options, workloads, modes, link, maxRounds } = resolveRun(prior ? cliOptionsOf(prior.meta.options, prior.dir) : opts);
  const { samples: minRounds, seed, percentile: p, until_ci: untilCi } = options;
  const order = options.order as Order;
  const keepDisturbed = options.keep_disturbed ?? false;
  const runId = prior?.meta.run_id ?? new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  const outDir = prior?.dir ?? opts.out ?? join('results', runId);
  if (!prior && existsSync(join(outDir, SAMPLES_FILE))) throw new UsageError(`--out ${outDir}: holds the samples of another run; go on with it with --resume ${outDir}, or choose another --out`);
  const runtime = runtimeByName(options.runtime ?? DEFAULT_RUNTIME);
  const versions = await collectVersions(containerdBuild(options.containerd ?? '1.6'), modes, runtime);
  const hash = workloadsHash(workloads);
  const change = prior && planChange(prior.meta, { options, workloadsHash: hash, versions });
  if (change) throw new UserError(`--resume ${prior!.dir}: ${change}; start a new run instead`);
  let store: SampleStore | undefined;
  let aborted: string | null = null;
  const samples: Sample[] = [...(prior?.samples ?? [])];

  const { finished_at: _, ...before } = prior?.meta ?? {};
  const meta: RunMeta = prior ? { ...(before as RunMeta), outcome: 'running', resumed_at: [...(prior.meta.resumed_at ?? []), new Date().toISOString()] } : {
    format: RESULTS_FORMAT, run_id: runId, started_at: new Date().toISOString(), outcome: 'running',
    command: process.argv.slice(2),
    options,
    systems: Object.fromEntries([...new Set(modes.map((m) => m.system))].map((s) => [s.name, s.title])),
    host: hostInfo(), versions, ...await commitOf(), workloads_hash: hash, link: { ...link, registry: '' },
    planned_samples: 0, prepared: [], prepare_failures: [],
  };

  /** Completes run.json, then every report file from the samples kept so far (also on Ctrl-C). */
  async function finish(outcome: string): Promise<void> {
    meta.outcome = outcome;
    meta.finished_at = new Date().toISOString();
    writeMeta(outDir, meta);
    if (samples.length === 0) return;
    const { input } = await buildReport(outDir, { percentile: p, keepDisturbed });
    const model = buildModel(input);
    process.stdout.write(`\n${model.tables.map((t) => `### ${t.caption}\n\n${markdownTable(t)}\n`).join('\n')}\n`);
  }

  await withLab({ containerd: options.containerd ?? '1.6', link, runtime }, async (lab) => {
    log(prior ? `resuming ${outDir}: ${samples.length} samples kept` : `results go to ${outDir}`);
    // The machine on its own first: a run that starts on a busy one says so in its first lines.
    const reference = loadReference();
    const calm = calmCanary(reference);
    const watch = new MachineWatch(() => lab.usage(), calm?.canary_ms);
    const checks: MachineCheck[] = [];
    const checkMachine = async (round: number) => {
      const c = await watch.check(round);
      checks.push(c);
      meta.machine = { ...(calm ? { calm } : {}), checks: [...(prior?.meta.machine?.checks ?? []), ...checks] };
      log(checkLine(c, calm));
    };
    await checkMachine(prior?.meta.rounds ?? 0);
    // Once the lab is ours (a refused run writes nothing), so that a run interrupted while it
    // prepares still says what it was; a resumed one's run.json changes only once it goes on.
    store = new SampleStore(outDir);
    if (!prior) writeMeta(outDir, meta);
    const prepared = await prepareIn(lab, workloads, modes, options.source_registry);
    const changed = prior && imageChange(prior.meta, prepared.images);
    if (changed) throw new UserError(`--resume ${outDir}: ${changed} (the images were prepared anew since); start a new run instead`);
    meta.prepared = prepared.images;
    meta.prepare_failures = prepared.failures;
    meta.link.registry = lab.registryHost;
    if (lab.netns) {
      const digest = await pushProbeBlob(lab.directHost, probeSize(link));
      const probe = await probeLink(lab.registryHost, lab.directHost, digest, link);
      meta.link.measured = { rtt_ms: probe.rtt_ms, connect_ms: probe.connect_ms, request_ms: probe.request_ms, throughput_bps: probe.throughput_bps, probe_bytes: probe.probe_bytes };
      meta.link.warnings = probe.warnings;
      log(`link ${describe(link)} measured: RTT ${probe.rtt_ms.toFixed(1)} ms, TCP connect ${probe.connect_ms.toFixed(1)} ms, ${(probe.throughput_bps / 1e6).toFixed(1)} Mbit/s`);
      for (const w of probe.warnings) log(`warning: ${w}`);
    }
    const imageOf = (w: string, m: string) => prepared.images.find((i) => i.workload === w && i.mode === m);
    const skipped = new Set(prepared.failures.map((f) => `${f.workload}/${f.mode}`));
    for (const s of skipped) log(`skipping ${s}: it was not prepared`);

    const cells = workloads.reduce((n, w) => n + modes.filter((m) => imageOf(w.name, m.name)).length, 0);
    meta.planned_samples = cells * minRounds;
    writeMeta(outDir, meta);
    const fetches = new FetchLog(lab.registry.logFile);
    const order$ = rounds(workloads, modes, seed, order);
    const loopStart = performance.now();
    const takenBefore = samples.length;
    for (let round = 0; round < maxRounds && !aborted; round++) {
      if (round > 0) await checkMachine(round);
      const triesOf = (x: { workload: Workload; mode: Mode }) => samples.filter((s) => s.round === round && s.workload === x.workload.name && s.mode === x.mode.name);
      // A resumed run takes only what its plan still lacks; a job's earlier tries count as retakes.
      const queue = order$.next().value.filter((x) => imageOf(x.workload.name, x.mode.name) && !jobDone(triesOf(x), keepDisturbed, MAX_RETAKES + 1));
      const retakes = new Map(queue.map((x) => [x, triesOf(x).length]));
      while (queue.length && !aborted) {
        const job = queue.shift()!;
        const sample = await takeSample(lab, fetches, watch, { ...job, index: samples.length, image: imageOf(job.workload.name, job.mode.name)!, seed, runId });
        if (aborted) break; // a sample cut short by Ctrl-C is not a measurement
        store!.append(sample);
        samples.push(sample);
        // Kept disturbed samples count as they are: nothing to take again.
        const again = !keepDisturbed && sample.status === 'ok' && sample.disturbed !== undefined && (retakes.get(job) ?? 0) < MAX_RETAKES;
        if (again) {
          retakes.set(job, (retakes.get(job) ?? 0) + 1);
          queue.push(job);
        }
        // --until-ci's plan grows by a round at a time, past --samples.
        const planned = cells * Math.max(minRounds, round + 1);
        const { done, retaken } = planProgress(samples);
        const secondsEach = (performance.now() - loopStart) / 1000 / (samples.length - takenBefore);
        const count = progressCount({ done, planned, retaken, secondsEach, left: planned - done + queue.filter((x) => triesOf(x).length > 0).length });
        log(progressLine(sample, round, count) + (again ? ' (taken again at the end of the round)' : ''));
      }
      meta.rounds = round + 1;
      if (untilCi !== undefined && round + 1 >= minRounds && !aborted) {
        const unsure = unsureCells(samples, untilCi, { seed, keepDisturbed });
        meta.unsure = unsure;
        if (!unsure.length) {
          log(`--until-ci ${untilCi}: every median's 95% interval is within ±${untilCi}% after ${round + 1} rounds`);
          break;
        }
        log(`--until-ci ${untilCi}: ${unsure.length} cell(s) not yet within ±${untilCi}% after ${round + 1} rounds (${unsure.slice(0, 4).map((u) => `${u.workload} ${u.mode} ${u.half_width_pct === undefined ? 'no sample' : `±${u.half_width_pct.toFixed(1)}%`}`).join(', ')}${unsure.length > 4 ? ', ...' : ''})`);
      }
    }
    if (untilCi !== undefined && meta.unsure?.length && !aborted) {
      log(`--until-ci ${untilCi}: stopped at --max-samples ${maxRounds}; not within ±${untilCi}%: ${meta.unsure.map((u) => `${u.workload} ${u.mode}`).join(', ')}`);
    }
    saveReference(withChecks(reference, checks));
  }, {
    onAbort: (why) => { aborted = why; },
    afterStop: async () => { if (store) await finish(`interrupted: ${aborted}`); },
  });

  // Interrupted: the exit path (stopLabOnExit) completes run.json and the report, then exits.
  if (aborted) return 130;
  await finish('complete');
  const bad = samples.filter((s) => s.status !== 'ok');
  const disturbed = samples.filter((s) => s.status === 'ok' && s.disturbed).length;
  log(`${samples.length - bad.length} ok (${disturbed} of them disturbed${keepDisturbed ? ', kept' : ', set aside'}), ${bad.length} not ok of ${samples.length} samples; results in ${outDir}`);
  for (const s of bad) log(`  ${s.workload} ${s.mode} round ${s.round}: ${s.status}: ${s.reason}`);
  // It ran: the samples and the report are there. Exit 1 only past what --max-failed allows
  // (an image that could not be prepared counts as failed); "could not run" is exit 2.
  const allowed = failedAllowed(opts.maxFailed, samples.length);
  const failed = bad.length + meta.prepare_failures.length;
  // A run whose samples were mostly set aside measured nothing, whatever failed or not.
  const trust = runTrust(samples, keepDisturbed);
  const verdict = failed > allowed ? 'failed' : trust.problem ? 'not measured' : 'passed';
  if (failed) log(`${failed} failed (${bad.length} sample(s), ${meta.prepare_failures.length} image(s) not prepared); --max-failed allows ${allowed}: ${verdict}`);
  if (trust.problem) log(`not measured: ${trust.problem}`);
  writeStepSummary(meta, samples.length, bad.length, disturbed, allowed, trust.problem ? `${verdict} (${trust.problem})` : verdict, outDir);
  return verdict === 'passed' ? 0 : 1;
}

/** A machine check in one line; a busy machine as a warning. */
function checkLine(c: MachineCheck, calm: CalmCanary | undefined): string {
  const when = c.round === 0 ? 'before the first round' : `before round ${c.round + 1}`;
  const others = c.competing_cpu_pct === undefined ? '' : `, CPU of others ${c.foreign_cpu_pct?.toFixed(1)}% (${c.low_priority_cpu_pct?.toFixed(1)}% at low priority), ${c.competing_cpu_pct.toFixed(1)}% competing`;
  const canary = `canary ${c.canary_ms.toFixed(2)} ms (${calm ? `calm machine ${calm.canary_ms.toFixed(2)} ms over ${calm.checks} checks` : 'no calm reference yet on this machine'})`;
  return c.busy ? `warning: the machine is busy ${when}: ${c.busy}; ${canary}${others}; samples it slows are set aside and taken again`
    : `machine ${when}: calm; ${canary}${others}`;
}

/** Under GitHub Actions, the run's counts in the job's summary (what a failed sample did not stop). */
function writeStepSummary(meta: RunMeta, total: number, bad: number, disturbed: number, allowed: number, verdict: string, outDir: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  const shard = meta.options.shard ? ` shard ${meta.options.shard.index}/${meta.options.shard.count}` : '';
  const lines = [
    `### hellobench run${shard}: ${verdict}`, '',
    `| samples | ok | failed | disturbed (set aside) | images not prepared | failures allowed |`, '|---|---|---|---|---|---|',
    `| ${total} | ${total - bad} | ${bad} | ${disturbed} | ${meta.prepare_failures.length} | ${allowed} |`, '',
    ...(meta.prepare_failures as PrepareFailure[]).map((f) => `- not prepared: ${f.workload} ${f.mode}: ${f.reason}`),
    `Results: \`${outDir}\``, '',
  ];
  appendFileSync(file, `${lines.join('\n')}\n`);
}

/** One sample on a freshly reset lab; a lab failure becomes a failed sample and the run goes on. */
async function takeSample(lab: Lab, fetches: FetchLog, watch: MachineWatch, job: SampleJob): Promise<Sample> {
  try {
    await lab.reset(job.mode);
    return await measureSample(lab, fetches, job, watch);
  } catch (err) {
    return {
      schema: SAMPLE_SCHEMA, run_id: job.runId, workload: job.workload.name, image: job.image.name, mode: job.mode.name,
      round: job.round, index: job.index, seed: job.seed, status: 'failed', reason: `lab: ${oneLine(err)}`, phases: {},
      started_at: new Date().toISOString(), image_bytes: job.image.compressed_bytes, layers: job.image.layers, bytes_fetched: { total: 0 },
    };
  }
}

function progressLine(s: Sample, round: number, count: string): string {
  const f = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));
  const mb = (b: number | undefined) => ((b ?? 0) / 1e6).toFixed(1);
  const head = `${count} round ${round + 1} ${s.workload} ${s.mode}: ${s.status}${s.disturbed ? ` DISTURBED (${s.disturbed})` : ''}`;
  const fetched = PHASES.filter((p) => p !== 'run').reduce((b, p) => b + (s.bytes_fetched[p] ?? 0), 0);
  const shown = PHASES.filter((p) => p !== 'sandbox' || s.phases.sandbox !== undefined);
  const body = ` ${shown.map((p) => `${p} ${f(s.phases[p])}`).join(' ')} total ${f(s.total)} s; ` +
    `${mb(fetched)} of ${mb(s.image_bytes)} MB fetched before run`;
  return head + body + (s.reason ? ` (${s.reason})` : '');
}
