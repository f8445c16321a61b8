// run: prepare what is missing, then measure every planned sample on a cold lab. The
// scheduler (bench/schedule.ts) decides what is taken when; this file wires it to the lab,
// the store, the machine checks and the report, and says how the run ended.
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { MachineChecks } from '../bench/checks.ts';
import { collectVersions, currentCommit, hostInfo } from '../bench/provenance.ts';
import { imageChange, loadPrior, planChange, workloadsHash, type Prior } from '../bench/resume.ts';
import { takeSample } from '../bench/sampler.ts';
import { plannedSamples, runSchedule, type SchedulePlan } from '../bench/schedule.ts';
import type { PrepareFailure } from '../images/prepare.ts';
import { containerdBuild } from '../lab/containerd.ts';
import { FetchLog } from '../lab/fetchlog.ts';
import type { Lab } from '../lab/lab.ts';
import { describe } from '../lab/link.ts';
import { probeLink, probeSize, pushProbeBlob } from '../lab/probe.ts';
import { buildReport } from '../report/index.ts';
import { markdownTable } from '../report/markdown.ts';
import { buildModel } from '../report/model.ts';
import { RESULTS_FORMAT, writeMeta, type RunMeta } from '../results/metadata.ts';
import type { Sample } from '../results/sample.ts';
import { SAMPLES_FILE, SampleStore } from '../results/store.ts';
import { runtimeByName, type ContainerRuntime } from '../runtimes/index.ts';
import { unsureCells } from '../stats/summary.ts';
import { runTrust } from '../stats/trust.ts';
import { UserError } from '../errors.ts';
import { log, withLab } from './common.ts';
import { UsageError } from './errors.ts';
import { prepareIn } from './prepare.ts';
import { cliOptionsOf, failedAllowed, resolveRun, type ResolvedRun, type RunCliOptions } from './run-options.ts';

export async function runCommand(opts: RunCliOptions): Promise<number> {
  const prior = opts.resume === undefined ? undefined : loadPrior(opts.resume);
  const run = resolveRun(prior ? cliOptionsOf(prior.meta.options, prior.dir) : opts);
  const runtime = runtimeByName(run.options.runtime);
  const meta = await startMeta(run, runtime, prior);
  const outDir = prior?.dir ?? opts.out ?? join('results', meta.run_id);
  if (!prior && existsSync(join(outDir, SAMPLES_FILE))) throw new UsageError(`--out ${outDir}: holds the samples of another run; go on with it with --resume ${outDir}, or choose another --out`);
  const samples: Sample[] = [...(prior?.samples ?? [])];
  let store: SampleStore | undefined;
  let aborted: string | null = null;
  const finish = (outcome: string) => finishRun(outDir, meta, samples, outcome);

  await withLab({ containerd: run.options.containerd, link: run.link, runtime }, async (lab) => {
    log(prior ? `resuming ${outDir}: ${samples.length} samples kept` : `results go to ${outDir}`);
    // The machine on its own first: a run that starts on a busy one says so in its first lines.
    const machine = new MachineChecks(() => lab.usage(), prior?.meta.machine?.checks ?? [], log);
    const check = async (round: number) => { await machine.check(round); meta.machine = machine.record(); };
    await check(prior?.meta.rounds ?? 0);
    // Once the lab is ours (a refused run writes nothing), so that a run interrupted while it
    // prepares still says what it was; a resumed one's run.json changes only once it goes on.
    store = new SampleStore(outDir);
    if (!prior) writeMeta(outDir, meta);
    const plan = await prepareRun(lab, run, meta, prior);
    writeMeta(outDir, meta);
    const fetches = new FetchLog(lab.registry.logFile);
    await runSchedule(plan, samples, {
      take: (job) => takeSample(lab, runtime, fetches, { ...job, warm: run.options.warm, afterReady: run.options.after_ready }, machine.watch),
      beforeRound: check, taken: (s) => store!.append(s), log, aborted: () => aborted !== null,
      roundDone: (rounds, unsure) => { meta.rounds = rounds; if (unsure) meta.unsure = unsure; },
    });
    machine.save();
  }, {
    onAbort: (why) => { aborted = why; },
    afterStop: async () => { if (store) await finish(`interrupted: ${aborted}`); },
  });

  // Interrupted: the exit path (stopLabOnExit) completes run.json and the report, then exits.
  if (aborted) return 130;
  await finish('complete');
  return conclude(meta, samples, outDir, opts.maxFailed);
}

/** run.json as the run starts (or goes on: a resumed run keeps its own, refused if its inputs changed). */
async function startMeta(run: ResolvedRun, runtime: ContainerRuntime, prior: Prior | undefined): Promise<RunMeta> {
  const { options, workloads, modes, link } = run;
  const versions = await collectVersions(containerdBuild(options.containerd), modes, runtime);
  const hash = workloadsHash(workloads);
  if (prior) {
    const change = planChange(prior.meta, { options, workloadsHash: hash, versions });
    if (change) throw new UserError(`--resume ${prior.dir}: ${change}; start a new run instead`);
    const { finished_at: _, ...before } = prior.meta;
    return { ...before, outcome: 'running', resumed_at: [...(prior.meta.resumed_at ?? []), new Date().toISOString()] };
  }
  const commit = await currentCommit();
  return {
    format: RESULTS_FORMAT, run_id: new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z'), started_at: new Date().toISOString(), outcome: 'running',
    command: process.argv.slice(2), options,
    systems: Object.fromEntries([...new Set(modes.map((m) => m.system))].map((s) => [s.name, s.title])),
    host: hostInfo(), versions, ...(commit ? { commit } : {}), workloads_hash: hash, link: { ...link, registry: '' },
    planned_samples: 0, prepared: [], prepare_failures: [],
  };
}

/** Prepares the images (a resumed run must find the ones it measured), measures the link, and plans the rounds. */
async function prepareRun(lab: Lab, run: ResolvedRun, meta: RunMeta, prior: Prior | undefined): Promise<SchedulePlan> {
  const { options, workloads, modes, link } = run;
  const prepared = await prepareIn(lab, workloads, modes, options.source_registry);
  const changed = prior && imageChange(prior.meta, prepared.images);
  if (changed) throw new UserError(`--resume ${prior.dir}: ${changed} (the images were prepared anew since); start a new run instead`);
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
  for (const f of prepared.failures) log(`skipping ${f.workload}/${f.mode}: it was not prepared`);
  const { seed, keep_disturbed: keepDisturbed, until_ci: untilCi } = options;
  const plan: SchedulePlan = {
    workloads, modes, seed, order: run.order, runId: meta.run_id, minRounds: options.samples, maxRounds: run.maxRounds, keepDisturbed,
    imageOf: (w, m) => prepared.images.find((i) => i.workload === w && i.mode === m),
    ...(untilCi !== undefined ? { untilCi: { percent: untilCi, unsure: (s: readonly Sample[]) => unsureCells(s, untilCi, { seed, keepDisturbed }) } } : {}),
  };
  meta.planned_samples = plannedSamples(plan);
  return plan;
}

/** Completes run.json, then every report file from the samples kept so far (also on Ctrl-C). */
async function finishRun(outDir: string, meta: RunMeta, samples: readonly Sample[], outcome: string): Promise<void> {
  meta.outcome = outcome;
  meta.finished_at = new Date().toISOString();
  writeMeta(outDir, meta);
  if (samples.length === 0) return;
  const { input } = await buildReport(outDir, { percentile: meta.options.percentile, keepDisturbed: meta.options.keep_disturbed });
  const model = buildModel(input);
  process.stdout.write(`\n${model.tables.map((t) => `### ${t.caption}\n\n${markdownTable(t)}\n`).join('\n')}\n`);
}

/**
 * How the run ended, as its exit status. It ran: the samples and the report are there. Exit 1
 * past what --max-failed allows (an image that could not be prepared counts as failed), or
 * when its samples were mostly set aside (it measured nothing); "could not run" is exit 2.
 */
function conclude(meta: RunMeta, samples: readonly Sample[], outDir: string, maxFailed: string | undefined): number {
  const keepDisturbed = meta.options.keep_disturbed;
  const bad = samples.filter((s) => s.status !== 'ok');
  const disturbed = samples.filter((s) => s.status === 'ok' && s.disturbed).length;
  log(`${samples.length - bad.length} ok (${disturbed} of them disturbed${keepDisturbed ? ', kept' : ', set aside'}), ${bad.length} not ok of ${samples.length} samples; results in ${outDir}`);
  for (const s of bad) log(`  ${s.workload} ${s.mode} round ${s.round}: ${s.status}: ${s.reason}`);
  const allowed = failedAllowed(maxFailed, samples.length);
  const failed = bad.length + meta.prepare_failures.length;
  const trust = runTrust(samples, keepDisturbed);
  const verdict = failed > allowed ? 'failed' : trust.problem ? 'not measured' : 'passed';
  if (failed) log(`${failed} failed (${bad.length} sample(s), ${meta.prepare_failures.length} image(s) not prepared); --max-failed allows ${allowed}: ${verdict}`);
  if (trust.problem) log(`not measured: ${trust.problem}`);
  writeStepSummary(meta, samples.length, bad.length, disturbed, allowed, trust.problem ? `${verdict} (${trust.problem})` : verdict, outDir);
  return verdict === 'passed' ? 0 : 1;
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

