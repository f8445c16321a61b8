// The command line: every command, its options and help; each command lives in src/commands/.
import { Command, Option } from 'commander';
import { MODE_NAMES } from './systems/index.ts';
import { DEFAULT_RUNTIME, RUNTIMES } from './runtimes/index.ts';
import { CONTAINERDS, DEFAULT_CONTAINERD } from './lab/containerd.ts';
import { DEFAULT_PROFILE, PROFILES } from './lab/link.ts';
import { DEFAULT_WORKLOADS } from './commands/common.ts';
import { DEFAULT_ORDER, ORDERS } from './bench/plan.ts';
import { doctorCommand } from './commands/doctor.ts';
import { preflightCommand } from './commands/preflight.ts';
import { prepareCommand } from './commands/prepare.ts';
import { runCommand } from './commands/run.ts';
import { DEFAULT_BANDWIDTHS, DEFAULT_RTTS, sweepCommand } from './commands/sweep.ts';
import { DEFAULT_MAX_ROUNDS } from './commands/run-options.ts';
import { reportCommand } from './commands/report.ts';
import { compareCommand } from './commands/compare.ts';
import { fidelityCommand } from './commands/fidelity.ts';
import { mergeCommand } from './commands/merge.ts';
import { historyCommand } from './commands/history.ts';
import { imageKeyCommand } from './commands/image-key.ts';

/** A fresh program; tests parse with it to check that recorded options repeat a run. */
export function buildProgram(): Command {
  const program = new Command('hellobench')
    .description('Measures container start-up (pull, create, run) with lazily pulled images on a real containerd lab')
    .showHelpAfterError();

  const selection = (cmd: Command) => cmd
    .option('--workloads <file>', 'workload catalogue (YAML)', DEFAULT_WORKLOADS)
    .option('--only <names>', 'comma-separated workload names to keep')
    .option('--category <names>', 'comma-separated categories to keep (distro, database, language, web-server, other)')
    .addOption(new Option('--modes <list>', `comma-separated modes (${MODE_NAMES.join(', ')})`).default(MODE_NAMES.join(',')))
    .option('--source-registry <host>', 'registry to copy `ref:` images from, instead of the one in the reference')
    .option('--allow-outside-mounts', 'let a catalogue mount host paths outside its own folder into containers')
    .addOption(new Option('--containerd <version>', `containerd the lab runs: ${Object.values(CONTAINERDS).map((c) => `${c.id} (${c.label})`).join(', ')}`).default(DEFAULT_CONTAINERD));

  program.command('doctor').description('check that every component the lab needs is here')
    .action(async () => { process.exitCode = await doctorCommand(); });

  selection(program.command('preflight').description('check in seconds what the lab needs of this kernel and machine (FUSE, TUN, namespaces, tbf, overlay, cgroups, disk for the selection); exit 1 naming each missing piece'))
    .option('--shard <i/n>', 'the disk of the i-th of n shares only, as `run --shard i/n` measures them')
    .action(async (opts) => { process.exitCode = await preflightCommand(opts); });

  selection(program.command('prepare').description('build, convert and push every image the workloads need (cached)'))
    .option('--shard <i/n>', 'prepare the images of the i-th of n shares only, as `run --shard i/n` measures them')
    .action(async (opts) => { process.exitCode = await prepareCommand(opts); });

  /** What run and sweep both take: how samples are taken, counted and how many. */
  const measuring = (cmd: Command) => cmd
    .addOption(new Option('--runtime <runtime>', `how containers start: ${RUNTIMES.map((r) => `${r.name} (${r.title})`).join('; ')}`).default(DEFAULT_RUNTIME))
    .option('--samples <n>', 'samples per workload and mode (rounds)', '5')
    .option('--seed <n>', 'seed of the per-round shuffle (random when absent; recorded)')
    .option('--percentile <p>', 'percentile shown in result.csv and the tables', '95')
    .option('--order <order>', `sample order per round: ${ORDERS.join(' or ')} (shuffled: the whole round; blocked: an image's modes back to back, shuffled)`, DEFAULT_ORDER)
    .option('--until-ci <percent>', 'add whole rounds until every median\'s 95% interval is within ±percent of it (--samples rounds first)')
    .option('--max-samples <n>', `with --until-ci: at most this many rounds (default ${DEFAULT_MAX_ROUNDS})`)
    .option('--keep-disturbed', 'count samples taken while the machine was disturbed (by default they are set aside and taken again)')
    .option('--warm', 'after each cold sample, start the same image again on the node it left (image, snapshots and caches kept): the second start')
    .option('--after-ready', "once a server is up, the load its workload's after_ready defines (seconds at a rate), latency per second; outside the clock")
    .option('--shard <i/n>', 'measure the i-th of n shares of the images (every n-th image, all its modes; needs --seed); `merge` joins them')
    .option('--max-failed <n|pct%>', 'failed samples (and images not prepared) the run may have and still exit 0: a count or a share such as 10%', '0');

  measuring(selection(program.command('run').description('prepare what is missing, then measure pull/create/run of every workload and mode')))
    .option('--out <dir>', 'results directory (default: results/<timestamp>)')
    .addOption(new Option('--link <profile>', `link to the registry: ${Object.entries(PROFILES).map(([k, v]) => `${k}${v.bandwidth ? ` (${v.bandwidth / 1e6} Mbit/s, ${v.rttMs} ms RTT)` : ' (no shaping)'}`).join(', ')}`).default(DEFAULT_PROFILE))
    .option('--bandwidth <rate>', 'override the profile\'s bandwidth, e.g. 50mbit')
    .option('--rtt <time>', 'override the profile\'s round-trip time, e.g. 30ms')
    .option('--resume <dir>', 'go on with the interrupted run in DIR: its options, seed and images; only its missing samples are taken')
    .action(async (opts) => { process.exitCode = await runCommand(opts); });

  measuring(selection(program.command('sweep').description('the run under each link of a grid of bandwidths x RTTs, one run per link; speed-up against RTT and bandwidth, where each mode stops beating legacy, the fastest system per link, every cell against its floor')))
    .option('--out <dir>', 'the sweep\'s directory, a run per link in it (default: results/sweep-<timestamp>)')
    .option('--bandwidth <rates>', 'comma-separated bandwidths of the grid', DEFAULT_BANDWIDTHS)
    .option('--rtt <times>', 'comma-separated round-trip times of the grid (each above 0)', DEFAULT_RTTS)
    .option('--resume <dir>', 'go on with the interrupted sweep in DIR: its grid and options; complete links are kept')
    .action(async (opts) => { process.exitCode = await sweepCommand(opts); });

  selection(program.command('image-key').description('print one hash of every image name the selection needs (a cache key for prepared images)'))
    .option('--verbose', 'list the image names on stderr')
    .action(async (opts) => { process.exitCode = await imageKeyCommand(opts); });

  program.command('merge').argument('<shard-dirs...>').description('join the results of `run --shard i/n` (every shard of one plan) into one result set and its report')
    .requiredOption('--out <dir>', 'results directory of the merged set')
    .action(async (dirs, opts) => { process.exitCode = await mergeCommand(dirs, opts); });

  program.command('history').argument('<results-dirs...>').description('every run\'s totals and speed-ups over time, and what changed against the previous run over the same link')
    .requiredOption('--out <dir>', 'where history.json, history.md, history.html, trend.svg/.png and speedups.svg go')
    .option('--min-change <percent>', 'smallest change of a median that counts, in percent', '5')
    .option('--keep-disturbed', 'count samples taken while the machine was disturbed')
    .option('--fail-on-regression', 'exit 1 when the latest run got slower beyond the noise in any image x mode')
    .action(async (dirs, opts) => { process.exitCode = await historyCommand(dirs, opts); });

  program.command('report').argument('<results-dir>').description('(re)build CSV, Markdown, charts, HTML and badge from a run\'s samples')
    .option('--percentile <p>', 'percentile shown per phase', '95')
    .option('--keep-disturbed', 'count samples taken while the machine was disturbed (default: as the run did)')
    .action(async (dir, opts) => { process.exitCode = await reportCommand(dir, opts); });

  program.command('compare').argument('<base-dir>').argument('<new-dir>').description('what changed between two runs, beyond the noise of both')
    .option('--out <dir>', 'where compare.md and compare.html go (default: the new run\'s directory)')
    .option('--fail-on-regression', 'exit 1 when any image x mode got slower beyond the noise')
    .option('--min-change <percent>', 'smallest change of a median that counts, in percent', '5')
    .option('--keep-disturbed', 'count samples taken while the machine was disturbed')
    .option('--across-runtimes', 'compare runs of different --runtime (refused otherwise: their totals hold different phases)')
    .action(async (base, next, opts) => { process.exitCode = await compareCommand(base, next, opts); });

  program.command('fidelity').argument('<results-dir>').description('check each legacy pull against the floor its link sets (exit 1 if bytes bypassed the link)')
    .action((dir) => { process.exitCode = fidelityCommand(dir); });

  return program;
}
