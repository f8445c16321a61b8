// The scheduled workflow's jobs, run here as GitHub's runner runs them, in the environment they
// describe: each job gets a new bare Debian 12 root made the way the debian:12 image is
// (mmdebstrap, minbase variant, from the host's apt sources), the host volumes its
// `container.options` name (new and empty per job, as on a new runner), and only what the
// workflow's own steps add. `run:` steps run in it with bash -e as the runner does;
// `uses:` steps are played by small stand-ins (checkout, caches, artifacts, toolchains).
// The toolchain actions are stood in for by the host's Node, Go and Rust, mounted read-only;
// the Go module and build caches are bound in from the host, as setup-go's cache restores
// them. The actions cache is a directory here that starts empty unless --cache-store names one
// kept from an earlier run: with an empty one, set-up builds every tool inside the root.
//
// Usage: node --import tsx ci/job-container.ts [--workflow FILE] [--input K=V]... [--work DIR]
//          [--cache-store DIR] [--ref COMMIT] [--keep]
// Runs as root. Every mount lives in a private mount namespace (gone with the process), each
// step in its own PID namespace (nothing a step started outlives it).
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { execa, execaSync } from 'execa';
import { parse } from 'yaml';
import { asString, condition, interpolate, type Scope, type Value } from './expressions.ts';
import { hostSources } from '../src/images/debian.ts';

const PROJECT = resolve(import.meta.dirname, '..');
const REPO = 'hellobench';

// ---- the workflow's shape ------------------------------------------------------------------------
interface Step { id?: string; name?: string; if?: string | boolean; run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, unknown>; 'working-directory'?: string }
interface Job {
  needs?: string | string[]; if?: string; 'runs-on': string; env?: Record<string, unknown>;
  container?: { image: string; options?: string }; strategy?: { matrix?: Record<string, unknown> };
  outputs?: Record<string, string>; steps: Step[];
}
interface Workflow { env?: Record<string, unknown>; jobs: Record<string, Job>; on?: { workflow_dispatch?: { inputs?: Record<string, { default?: unknown }> } } }

export interface StepRecord { job: string; step: string; outcome: 'success' | 'failure' | 'skipped'; seconds: number; exitCode?: number; tail?: string }
export interface JobRecord { job: string; result: 'success' | 'failure' | 'skipped'; seconds: number; outputs: Record<string, string> }
export interface JobContainerResult { jobs: JobRecord[]; steps: StepRecord[]; seconds: number; work: string; artifacts: string; cacheStore: string; cacheSaved: string[] }

export interface Options {
  workflow: string;
  inputs: Record<string, string>;
  work: string;
  cacheStore: string;
  keep: boolean;
  /** A commit to check out instead of the work tree as it is. */
  ref?: string;
  log: (line: string) => void;
}

// ---- the roots -------------------------------------------------------------------------------------
/** What the ubuntu-24.04 runner image has that the runner-side (no container) jobs' steps use. */
const RUNNER_IMAGE_PACKAGES = ['git', 'ca-certificates', 'curl', 'sudo'];

/** A root file system as a tar, made once per set of apt lists (a new `apt-get update` makes a new one). */
async function baseTar(dir: string, extra: string[], log: Options['log']): Promise<string> {
  const lists = existsSync('/var/lib/apt/lists') ? readdirSync('/var/lib/apt/lists').filter((f) => f.endsWith('InRelease')).sort()
    .map((f) => readFileSync(join('/var/lib/apt/lists', f))) : [];
  const key = createHash('sha256').update(JSON.stringify(extra)).update(Buffer.concat(lists)).digest('hex').slice(0, 12);
  const tar = join(dir, `debian-12-minbase${extra.length ? `+${extra.join('+')}` : ''}-${key}.tar`);
  if (existsSync(tar)) return tar;
  mkdirSync(dir, { recursive: true });
  log(`job container: mmdebstrap --variant=minbase bookworm${extra.length ? ` --include=${extra.join(',')}` : ''} (once per apt lists)`);
  const t = performance.now();
  await execa('mmdebstrap', ['--variant=minbase', '--format=tar', ...(extra.length ? [`--include=${extra.join(',')}`] : []), 'bookworm', `${tar}.part`, ...hostSources()],
    { stdin: 'ignore', all: true, env: { LC_ALL: 'C' } }).catch((err: { all?: string }) => {
    rmSync(`${tar}.part`, { force: true });
    throw new Error(`job container: mmdebstrap failed: ${(err.all ?? String(err)).trim().split('\n').slice(-3).join(' | ')}`);
  });
  await execa('mv', [`${tar}.part`, tar]);
  log(`job container: root made in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  return tar;
}

/** The host's Go settings (setup-go's Go on PATH, or the project machines' /usr/local/go), '' each if none. */
function goEnv(...names: string[]): string[] {
  const r = execaSync('go', ['env', ...names], { reject: false, env: { PATH: `${process.env.PATH ?? ''}:/usr/local/go/bin` } });
  return r.exitCode === 0 ? r.stdout.split('\n') : names.map(() => '');
}

/** The host's Rust toolchain (rustup's or Debian's): its sysroot holds bin/cargo and bin/rustc. */
function rustSysroot(): string | undefined {
  const path = `${process.env.PATH ?? ''}:${process.env.HOME ?? '/root'}/.cargo/bin`;
  for (const dir of path.split(':')) {
    if (!existsSync(join(dir, 'rustc'))) continue;
    const r = execaSync(join(dir, 'rustc'), ['--print', 'sysroot'], { reject: false });
    if (r.exitCode === 0 && existsSync(join(r.stdout.trim(), 'bin/cargo'))) return r.stdout.trim();
  }
  return undefined;
}

/** The host's local CAs in one file, or '' when it has none. */
function runnerCas(): string {
  const local = '/usr/local/share/ca-certificates';
  if (!existsSync(local)) return '';
  return readdirSync(local, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.crt')).sort()
    .map((f) => readFileSync(join(local, f), 'utf8')).join('\n');
}
const RUNNER_CA = '/etc/ssl/runner-local-ca.pem';

const TOOLCACHE = '/opt/hostedtoolcache';
/** Where the toolchain actions put their tools in the job root (read-only mounts of the host's). */
function toolchains(): { host: string; at: string; file?: boolean }[] {
  const go = goEnv('GOROOT')[0];
  const rust = rustSysroot();
  const node = process.execPath;
  const npm = ['/usr/lib/node_modules/npm', join(dirname(node), '../lib/node_modules/npm')].find((p) => existsSync(join(p, 'bin/npm-cli.js')));
  const missing = [!go && 'Go (go on PATH, or /usr/local/go)', !rust && 'a stable Rust toolchain (rustup)', !npm && "Node's npm"].filter(Boolean);
  if (missing.length) throw new Error(`job container: the host lacks ${missing.join(', ')}, which stand in for the workflow's setup actions`);
  return [
    { host: node, at: `${TOOLCACHE}/node/bin/node`, file: true },
    { host: npm!, at: `${TOOLCACHE}/node/lib/node_modules/npm` },
    { host: go!, at: `${TOOLCACHE}/go` },
    { host: rust!, at: `${TOOLCACHE}/rust` },
  ];
}
const TOOL_PATH = [`${TOOLCACHE}/node/bin`, `${TOOLCACHE}/go/bin`, `${TOOLCACHE}/rust/bin`].join(':');

/** A job's root: a new tree from the base tar, with the runner's mounts made inside it. */
class JobRoot {
  readonly dir: string;
  readonly home = '/github/home';
  readonly workspace: string;
  readonly temp = '/__w/_temp';
  constructor(readonly work: string, readonly name: string, readonly container: boolean) {
    this.dir = join(work, 'roots', name);
    this.workspace = container ? `/__w/${REPO}/${REPO}` : `/home/runner/work/${REPO}/${REPO}`;
  }

  path(p: string): string { return join(this.dir, p); }

  async make(tar: string, volumes: [string, string][], origin: string): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    await execa('tar', ['-xf', tar, '-C', this.dir]);
    // A container's root is a mount of its own (ip netns exec, for one, remounts / as a slave).
    await execa('mount', ['--bind', this.dir, this.dir]);
    cpSync('/etc/resolv.conf', this.path('etc/resolv.conf'), { dereference: true });
    // The machine's own trust: where its egress is TLS-inspected, the host trusts local CAs
    // (/usr/local/share/ca-certificates) that a hosted runner does not need. The root's
    // ca-certificates takes them in when the workflow installs it; Node reads them from
    // NODE_EXTRA_CA_CERTS (runnerCa).
    const local = '/usr/local/share/ca-certificates';
    if (existsSync(local)) cpSync(local, this.path(local), { recursive: true, dereference: true });
    const cas = runnerCas();
    if (cas) {
      mkdirSync(dirname(this.path(RUNNER_CA)), { recursive: true });
      writeFileSync(this.path(RUNNER_CA), cas);
    }
    for (const d of [this.home, this.workspace, this.temp]) mkdirSync(this.path(d), { recursive: true });
    // A privileged container: the host's devices and /sys (cgroups included: --cgroupns=host).
    await this.bind('/dev', 'dev', true);
    await this.bind('/sys', 'sys', true);
    for (const t of toolchains()) await this.bind(t.host, t.at, false, t.file, true);
    mkdirSync(this.path(`${TOOLCACHE}/node/bin`), { recursive: true });
    for (const n of ['npm', 'npx']) await execa('ln', ['-sfn', `../lib/node_modules/npm/bin/${n}-cli.js`, this.path(`${TOOLCACHE}/node/bin/${n}`)]);
    // setup-go's cache: the module and build caches, restored from the host's.
    const [mod, build] = goEnv('GOMODCACHE', 'GOCACHE');
    for (const [host, at] of [[mod!, `${this.home}/go/pkg/mod`], [build!, `${this.home}/.cache/go-build`]] as const) {
      mkdirSync(host, { recursive: true });
      await this.bind(host, at);
    }
    for (const [host, at] of volumes) {
      mkdirSync(host, { recursive: true });
      await this.bind(host, at);
    }
    await this.bind(origin, '/github/origin.git');
  }

  private async bind(host: string, at: string, recursive = false, file = false, readOnly = false): Promise<void> {
    const target = this.path(at);
    if (file) {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, '');
    } else mkdirSync(target, { recursive: true });
    await execa('mount', [recursive ? '--rbind' : '--bind', host, target]);
    if (recursive) await execa('mount', ['--make-rslave', target]);
    if (readOnly) await execa('mount', ['-o', 'remount,bind,ro', target]);
  }

  /**
   * Starts the container: an init (PID 1 of a new PID namespace, `sleep infinity` as GitHub's
   * `tail -f /dev/null`) in a new mount namespace whose root is pivoted to this root, as a
   * container's is. pivot_root, not chroot: a process that joins a mount namespace (runc
   * joining the fanotifier's, in ctr-remote's profiling run) lands at that namespace's root.
   */
  async start(): Promise<void> {
    this.init = execa('unshare', ['--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', 'sleep', 'infinity'], { reject: false, stdio: 'ignore' });
    inits.add(this.init);
    const unsharePid = this.init.pid!;
    for (let i = 0; i < 200 && !this.pid; i++) {
      const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
      if (children) this.pid = Number(children.split(' ')[0]);
      else await new Promise((r) => setTimeout(r, 10));
    }
    if (!this.pid) throw new Error('job container: the container init did not start');
    // In its PID namespace too: the new /proc shows /proc/self only to its own processes.
    const inNs = (args: string[]) => execa('nsenter', [`--target=${this.pid}`, '--mount', '--pid', '--', ...args]);
    mkdirSync(this.path('.old-root'), { recursive: true });
    await inNs(['pivot_root', this.dir, join(this.dir, '.old-root')]);
    await inNs(['mount', '-t', 'proc', 'proc', '/proc']);
    // The host's tree leaves the container's view (runc detaches its old root the same way).
    await inNs(['umount', '--lazy', '/.old-root']);
    await inNs(['rmdir', '/.old-root']);
  }

  /** Ends the container: its init, and with it every process in its PID namespace. */
  async stop(): Promise<void> {
    if (!this.init) return;
    this.init.kill('SIGKILL');
    await this.init;
    inits.delete(this.init);
    this.init = undefined;
  }

  private init: ReturnType<typeof execa> | undefined;
  private pid: number | undefined;

  /** Runs argv in the container (as `docker exec` does), as a job step. */
  async exec(argv: string[], env: Record<string, string>, cwd: string, logFile: string): Promise<{ exitCode: number; tail: string }> {
    const r = await running(execa('nsenter', [`--target=${this.pid}`, '--mount', '--pid', '--root', `--wdns=${cwd}`, '--', ...argv], {
      env, extendEnv: false, reject: false, stdin: 'ignore', stdout: { file: logFile, append: true }, stderr: { file: logFile, append: true },
    }));
    const text = readFileSync(logFile, 'utf8');
    return { exitCode: r.exitCode ?? 1, tail: text.trimEnd().split('\n').slice(-15).join('\n') };
  }
}

/** Every running container's init: ended whatever ends the runner. */
const inits = new Set<ReturnType<typeof execa>>();

/**
 * The step that runs now, by PID. Ctrl-C or a kill ends it and the containers' inits with
 * SIGKILL: unshare --kill-child then ends each PID namespace, and everything in it.
 */
let current: ReturnType<typeof execa> | undefined;
function running<T extends ReturnType<typeof execa>>(p: T): T {
  current = p;
  void p.finally(() => { if (current === p) current = undefined; }).catch(() => {});
  return p;
}
function endOnSignals(inner: boolean): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      // The outer process passes the signal on and waits: the inner one ends its step first.
      if (!inner) { current?.kill('SIGTERM'); return; }
      current?.kill('SIGKILL');
      for (const init of inits) init.kill('SIGKILL');
      process.stderr.write(`job container: ${sig}: the step in progress was ended\n`);
      process.exit(130);
    });
  }
}

// ---- the actions cache and artifacts ----------------------------------------------------------------
/** An actions cache: one tar per key, paths kept relative to the root. */
class CacheStore {
  constructor(readonly dir: string) { mkdirSync(dir, { recursive: true }); }
  private file(key: string) { return join(this.dir, `${key.replace(/[^\w.-]/g, '_')}.tar`); }

  /** The exact key's entry, else the newest whose key starts with a restore key. */
  find(key: string, restoreKeys: string[]): { key: string; file: string } | undefined {
    if (existsSync(this.file(key))) return { key, file: this.file(key) };
    const all = readdirSync(this.dir).filter((f) => f.endsWith('.tar'))
      .map((f) => ({ key: f.slice(0, -4), file: join(this.dir, f), at: statSync(join(this.dir, f)).mtimeMs })).sort((a, b) => b.at - a.at);
    for (const prefix of restoreKeys) {
      const hit = all.find((e) => e.key.startsWith(prefix.replace(/[^\w.-]/g, '_')));
      if (hit) return hit;
    }
    return undefined;
  }

  async restore(root: JobRoot, key: string, restoreKeys: string[]): Promise<{ hit: boolean; matched?: string }> {
    const entry = this.find(key, restoreKeys);
    if (!entry) return { hit: false };
    await execa('tar', ['-xf', entry.file, '-C', root.dir]);
    return { hit: entry.key === key.replace(/[^\w.-]/g, '_'), matched: entry.key };
  }

  /** Saves paths under key; like actions/cache, an existing key is never overwritten. */
  async save(root: JobRoot, key: string, paths: string[]): Promise<boolean> {
    const file = this.file(key);
    if (existsSync(file)) return false;
    const rel = paths.map((p) => relative('/', p)).filter((p) => existsSync(root.path(p)));
    if (!rel.length) return false;
    await execa('tar', ['-cf', `${file}.part`, '-C', root.dir, ...rel]);
    await execa('mv', [`${file}.part`, file]);
    return true;
  }
}

const lines = (v: unknown): string[] => asString((v ?? '') as Value).split('\n').map((l) => l.trim()).filter(Boolean);

// ---- running the workflow ------------------------------------------------------------------------------
export async function runWorkflow(o: Options): Promise<JobContainerResult> {
  const t0 = performance.now();
  const wf = parse(readFileSync(o.workflow, 'utf8')) as Workflow;
  const steps: StepRecord[] = [];
  const jobs: JobRecord[] = [];
  const cacheSaved: string[] = [];
  const cache = new CacheStore(o.cacheStore);
  const artifacts = join(o.work, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  mkdirSync(join(o.work, 'logs'), { recursive: true });
  const origin = await makeOrigin(o.work, o.ref);
  const tarDir = join(process.env.HELLOBENCH_HOME ?? '/var/cache/hellobench', 'job-container');

  const defaults = Object.fromEntries(Object.entries(wf.on?.workflow_dispatch?.inputs ?? {}).map(([k, v]) => [k, asString((v.default ?? '') as Value)]));
  const unknown = Object.keys(o.inputs).filter((k) => !(k in defaults));
  if (unknown.length) throw new Error(`job container: ${o.workflow} has no input ${unknown.join(', ')}`);
  const inputs = { ...defaults, ...o.inputs };
  const github = { run_id: String(Date.now() % 1e9), run_attempt: '1', repository: `owner/${REPO}`, event_name: 'workflow_dispatch', workspace: '' };
  const needsCtx: Record<string, Value> = {};

  const order = topo(wf.jobs);
  for (const name of order) {
    const job = wf.jobs[name]!;
    const needs = ([] as string[]).concat(job.needs ?? []);
    const jobScope = (status: 'success' | 'failure', extra: Record<string, Value> = {}): Scope => ({
      contexts: { inputs, github, needs: pick(needsCtx, needs), ...extra }, status, hashFiles: () => '',
    });
    const needsOk = needs.every((n) => (needsCtx[n] as { result: string }).result === 'success');
    if (!condition(job.if, jobScope(needsOk ? 'success' : 'failure'))) {
      jobs.push({ job: name, result: 'skipped', seconds: 0, outputs: {} });
      needsCtx[name] = { result: 'skipped', outputs: {} };
      o.log(`job ${name}: skipped`);
      continue;
    }
    const matrixSpec = job.strategy?.matrix ?? {};
    const axes = Object.entries(matrixSpec).map(([k, v]) => [k, typeof v === 'string' ? interpolate(v, jobScope('success')) : v] as [string, Value]);
    const combos: Record<string, Value>[] = axes.reduce<Record<string, Value>[]>((acc, [k, vs]) =>
      acc.flatMap((c) => (vs as Value[]).map((v) => ({ ...c, [k]: v }))), [{}]);
    let result: JobRecord['result'] = 'success';
    let outputs: Record<string, string> = {};
    for (const matrix of combos) {
      const label = [name, ...Object.values(matrix).map(asString)].join('-');
      const r = await runJob(o, { name, label, job, wf, matrix, inputs, github, needs: pick(needsCtx, needs), cache, artifacts, origin, tarDir, steps, cacheSaved });
      jobs.push({ job: label, result: r.result, seconds: r.seconds, outputs: r.outputs });
      if (r.result === 'failure') result = 'failure';
      outputs = { ...outputs, ...r.outputs };
    }
    needsCtx[name] = { result, outputs };
  }
  return { jobs, steps, seconds: (performance.now() - t0) / 1000, work: o.work, artifacts, cacheStore: o.cacheStore, cacheSaved };
}

function pick(ctx: Record<string, Value>, keys: string[]): Record<string, Value> {
  return Object.fromEntries(keys.map((k) => [k, ctx[k] ?? null]));
}

function topo(jobs: Record<string, Job>): string[] {
  const out: string[] = [];
  const visit = (n: string, path: string[]) => {
    if (out.includes(n)) return;
    if (path.includes(n)) throw new Error(`job container: the jobs' needs form a circle at ${n}`);
    for (const d of ([] as string[]).concat(jobs[n]?.needs ?? [])) visit(d, [...path, n]);
    out.push(n);
  };
  for (const n of Object.keys(jobs)) visit(n, []);
  return out;
}

/** The checkout's source: a bare repository holding the work tree as it is now (untracked files included) as main. */
async function makeOrigin(work: string, ref: string | undefined): Promise<string> {
  const origin = join(work, 'origin.git');
  rmSync(origin, { recursive: true, force: true });
  await execa('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  if (ref) {
    await execa('git', ['push', '-q', origin, `${ref}:refs/heads/main`], { cwd: PROJECT });
    return origin;
  }
  const index = join(work, 'snapshot.index');
  rmSync(index, { force: true });
  const env = { GIT_INDEX_FILE: index };
  await execa('git', ['add', '-A'], { cwd: PROJECT, env });
  const tree = (await execa('git', ['write-tree'], { cwd: PROJECT, env })).stdout.trim();
  const commit = (await execa('git', ['commit-tree', '-p', 'HEAD', '-m', 'job container snapshot', tree], {
    cwd: PROJECT, env: { GIT_AUTHOR_NAME: 'job-container', GIT_AUTHOR_EMAIL: 'job@container.invalid', GIT_COMMITTER_NAME: 'job-container', GIT_COMMITTER_EMAIL: 'job@container.invalid' },
  })).stdout.trim();
  rmSync(index, { force: true });
  await execa('git', ['push', '-q', origin, `${commit}:refs/heads/main`], { cwd: PROJECT });
  return origin;
}

interface JobRun {
  name: string; label: string; job: Job; wf: Workflow; matrix: Record<string, Value>; inputs: Record<string, string>;
  github: Record<string, string>; needs: Record<string, Value>; cache: CacheStore; artifacts: string; origin: string;
  tarDir: string; steps: StepRecord[]; cacheSaved: string[];
}

async function runJob(o: Options, j: JobRun): Promise<{ result: 'success' | 'failure'; seconds: number; outputs: Record<string, string> }> {
  const t0 = performance.now();
  const container = j.job.container !== undefined;
  if (container && j.job.container!.image !== 'debian:12') throw new Error(`job container: job ${j.name} asks for image ${j.job.container!.image}; only debian:12 is made here`);
  const root = new JobRoot(o.work, j.label, container);
  const tar = await baseTar(j.tarDir, container ? [] : RUNNER_IMAGE_PACKAGES, o.log);
  // A new runner per job: its host volumes are new and empty.
  const volumes = [...(j.job.container?.options ?? '').matchAll(/-v\s+(\S+):(\S+)/g)].map((m) => [join(o.work, 'hosts', j.label, m[1]!), m[2]!] as [string, string]);
  await root.make(tar, volumes, j.origin);
  try {
    await root.start();
    return await runSteps(o, j, root, t0, container);
  } finally {
    await root.stop();
  }
}

async function runSteps(o: Options, j: JobRun, root: JobRoot, t0: number, container: boolean): Promise<{ result: 'success' | 'failure'; seconds: number; outputs: Record<string, string> }> {
  const logFile = join(o.work, 'logs', `${j.label}.log`);
  writeFileSync(logFile, '');
  o.log(`job ${j.label}: ${container ? 'in a new debian:12 root' : `on a runner root (debian 12 + ${RUNNER_IMAGE_PACKAGES.join(' ')})`}, log ${logFile}`);

  const stepsCtx: Record<string, { outcome: string; conclusion: string; outputs: Record<string, string> }> = {};
  let status: 'success' | 'failure' = 'success';
  const posts: (() => Promise<void>)[] = [];
  const scope = (): Scope => ({
    contexts: { inputs: j.inputs, github: { ...j.github, workspace: root.workspace }, needs: j.needs, matrix: j.matrix, steps: stepsCtx as unknown as Value, env: envCtx as unknown as Value },
    status, hashFiles: (patterns) => hashFiles(root.path(root.workspace), patterns),
  });
  let envCtx: Record<string, string> = {};
  const evalEnv = (e: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(e ?? {}).map(([k, v]) => [k, asString(interpolate(asString(v as Value), scope()))]));
  envCtx = evalEnv(j.wf.env);
  envCtx = { ...envCtx, ...evalEnv(j.job.env) };
  const fileCmd = (n: string) => `${root.temp}/_runner_file_commands/${n}`;
  mkdirSync(root.path(fileCmd('')), { recursive: true });
  const summary = join(o.work, 'summaries', `${j.label}.md`);
  mkdirSync(dirname(summary), { recursive: true });

  for (const [i, step] of j.job.steps.entries()) {
    const what = step.name ?? step.uses ?? step.run!.split('\n')[0]!.slice(0, 80);
    if (!condition(step.if, scope())) {
      if (step.id) stepsCtx[step.id] = { outcome: 'skipped', conclusion: 'skipped', outputs: {} };
      j.steps.push({ job: j.label, step: what, outcome: 'skipped', seconds: 0 });
      continue;
    }
    const t = performance.now();
    appendFileSync(logFile, `\n##[step ${i + 1}] ${what}\n`);
    const env = { ...envCtx, ...evalEnv(step.env) };
    const outFile = fileCmd(`set_output_${i}`);
    writeFileSync(root.path(outFile), '');
    writeFileSync(root.path(fileCmd(`step_summary_${i}`)), '');
    const runnerEnv: Record<string, string> = {
      PATH: `${TOOL_PATH}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: root.home, LANG: 'C.UTF-8',
      CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: j.github.run_id!, GITHUB_RUN_ATTEMPT: '1', GITHUB_REPOSITORY: j.github.repository!,
      GITHUB_WORKSPACE: root.workspace, GITHUB_OUTPUT: outFile, GITHUB_STEP_SUMMARY: fileCmd(`step_summary_${i}`), GITHUB_JOB: j.name,
      RUNNER_TEMP: root.temp, RUNNER_OS: 'Linux', RUNNER_NAME: `job-container ${j.label}`,
      ...(runnerCas() ? { NODE_EXTRA_CA_CERTS: RUNNER_CA } : {}), ...env,
    };
    let outcome: { exitCode: number; tail: string; outputs?: Record<string, string> };
    try {
      if (step.run !== undefined) {
        const script = `${root.temp}/step-${i}.sh`;
        writeFileSync(root.path(script), asString(interpolate(step.run, scope())));
        const cwd = step['working-directory'] ? join(root.workspace, step['working-directory']) : root.workspace;
        outcome = await root.exec(['bash', '-e', script], runnerEnv, cwd, logFile);
      } else {
        outcome = await action(o, j, root, step, scope, runnerEnv, logFile, posts);
      }
    } catch (err) {
      outcome = { exitCode: 1, tail: (err as Error).message };
      appendFileSync(logFile, `${(err as Error).message}\n`);
    }
    const outputs = { ...parseOutputs(readFileSync(root.path(outFile), 'utf8')), ...outcome.outputs };
    appendFileSync(summary, readFileSync(root.path(fileCmd(`step_summary_${i}`)), 'utf8'));
    const ok = outcome.exitCode === 0;
    if (step.id) stepsCtx[step.id] = { outcome: ok ? 'success' : 'failure', conclusion: ok ? 'success' : 'failure', outputs };
    const seconds = (performance.now() - t) / 1000;
    j.steps.push({ job: j.label, step: what, outcome: ok ? 'success' : 'failure', seconds, ...(ok ? {} : { exitCode: outcome.exitCode, tail: outcome.tail }) });
    o.log(`  ${ok ? 'ok  ' : 'FAIL'} ${seconds.toFixed(0).padStart(4)} s  ${what}${ok ? '' : ` (exit ${outcome.exitCode})`}`);
    if (!ok) {
      status = 'failure';
      o.log(outcome.tail.split('\n').map((l) => `        | ${l}`).join('\n'));
    }
  }
  // Post steps (actions/cache's save) run last, in reverse order, each under its own condition.
  for (const post of posts.reverse()) await post();
  const outputs = Object.fromEntries(Object.entries(j.job.outputs ?? {}).map(([k, v]) => [k, asString(interpolate(v, scope()))]));
  return { result: status, seconds: (performance.now() - t0) / 1000, outputs };
}

/** `name=value` lines and `name<<DELIMITER` blocks, as the runner reads $GITHUB_OUTPUT. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const ls = text.split('\n');
  for (let i = 0; i < ls.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(ls[i]!);
    if (heredoc) {
      const end = ls.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = ls.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = ls[i]!.indexOf('=');
    if (eq > 0) out[ls[i]!.slice(0, eq)] = ls[i]!.slice(eq + 1);
  }
  return out;
}

/** hashFiles(): SHA-256 over the matching files' hashes, '' when none match (as GitHub's). */
function hashFiles(workspace: string, patterns: string[]): string {
  const all: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else if (e.isFile()) all.push(relative(workspace, p));
    }
  };
  if (existsSync(workspace)) walk(workspace);
  const re = patterns.map((g) => new RegExp(`^${g.split('**').map((s) => s.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*')}$`));
  const files = all.filter((f) => re.some((r) => r.test(f))).sort();
  if (!files.length) return '';
  const h = createHash('sha256');
  for (const f of files) h.update(createHash('sha256').update(readFileSync(join(workspace, f))).digest());
  return h.digest('hex');
}

/** The stand-ins for the actions the workflows use. */
async function action(o: Options, j: JobRun, root: JobRoot, step: Step, scope: () => Scope, env: Record<string, string>, logFile: string,
  posts: (() => Promise<void>)[]): Promise<{ exitCode: number; tail: string; outputs?: Record<string, string> }> {
  const [name] = step.uses!.split('@');
  const w = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, asString(interpolate(asString(v as Value), scope()))]));
  const ok = (outputs: Record<string, string> = {}, note = '') => {
    if (note) appendFileSync(logFile, `${note}\n`);
    return { exitCode: 0, tail: '', outputs };
  };
  switch (name) {
    case 'actions/checkout':
      // As actions/checkout does in a container: git in the container, a shallow clone of the ref.
      return root.exec(['git', 'clone', '-q', '--depth=1', '--branch', 'main', 'file:///github/origin.git', '.'], env, root.workspace, logFile);
    case 'actions/setup-node': case 'actions/setup-go': case 'dtolnay/rust-toolchain':
      return ok({}, `${name}: the host's toolchain, mounted at ${TOOLCACHE}`);
    case 'actions/cache': case 'actions/cache/restore': {
      const r = await j.cache.restore(root, w.key!, lines(w['restore-keys']));
      appendFileSync(logFile, `${name}: ${r.matched ? `restored ${r.matched}${r.hit ? ' (exact)' : ''}` : `no entry for ${w.key}`}\n`);
      if (name === 'actions/cache') {
        // The combined action saves in its post step, on job success, when the key missed.
        posts.push(async () => {
          if (scope().status !== 'success' || r.hit) return;
          if (await j.cache.save(root, w.key!, lines(w.path))) j.cacheSaved.push(w.key!);
        });
      }
      return ok({ 'cache-hit': r.hit ? 'true' : 'false', 'cache-primary-key': w.key!, 'cache-matched-key': r.matched ?? '' });
    }
    case 'actions/cache/save': {
      if (!w.key) return { exitCode: 1, tail: `${name}: no key given` };
      const saved = await j.cache.save(root, w.key, lines(w.path));
      if (saved) j.cacheSaved.push(w.key);
      return ok({}, `${name}: ${saved ? 'saved' : 'not saved (the key exists, or nothing to save)'} ${w.key}`);
    }
    case 'actions/upload-artifact': {
      const to = join(j.artifacts, w.name ?? 'artifact');
      if (existsSync(to) && w.overwrite !== 'true') return { exitCode: 1, tail: `${name}: an artifact named ${w.name} already exists (overwrite: true replaces it)` };
      rmSync(to, { recursive: true, force: true });
      const from = root.path(join(root.workspace, w.path ?? ''));
      if (!existsSync(from)) return ok({}, `${name}: no files found at ${w.path}`);
      cpSync(from, to, { recursive: true });
      return ok({}, `${name}: ${w.name} <- ${w.path}`);
    }
    case 'actions/download-artifact': {
      const re = new RegExp(`^${(w.pattern ?? w.name ?? '*').split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      const names = readdirSync(j.artifacts).filter((n) => re.test(n));
      const dest = root.path(join(root.workspace, w.path ?? '.'));
      // One match, or merge-multiple: straight into path; several: path/<name> each.
      for (const n of names) cpSync(join(j.artifacts, n), names.length === 1 || w['merge-multiple'] === 'true' ? dest : join(dest, n), { recursive: true });
      return ok({}, `${name}: ${names.join(', ') || 'none'} -> ${w.path}`);
    }
    case 'actions/upload-pages-artifact': case 'actions/deploy-pages':
      return ok({ page_url: '' }, `${name}: nothing to deploy here`);
    default:
      return { exitCode: 1, tail: `job container: no stand-in for ${step.uses}` };
  }
}

// ---- command line ----------------------------------------------------------------------------------------
function parseArgs(argv: string[]): Options {
  const o: Options = {
    workflow: join(PROJECT, '.github/workflows/benchmark.yml'), inputs: {}, work: '/var/tmp/hellobench-job-container',
    cacheStore: '', keep: false, log: (l) => process.stderr.write(`${l}\n`),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, v = () => argv[++i] ?? '';
    if (a === '--workflow') o.workflow = resolve(v());
    else if (a === '--input') { const kv = v(); const eq = kv.indexOf('='); o.inputs[kv.slice(0, eq)] = kv.slice(eq + 1); }
    else if (a === '--work') o.work = resolve(v());
    else if (a === '--cache-store') o.cacheStore = resolve(v());
    else if (a === '--keep') o.keep = true;
    else if (a === '--ref') o.ref = v();
    else throw new Error(`job container: unknown option ${a}`);
  }
  if (!o.cacheStore) o.cacheStore = join(o.work, 'actions-cache');
  return o;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) { process.stderr.write('job container: run as root (it mounts and makes namespaces)\n'); return 2; }
  const o = parseArgs(process.argv.slice(2));
  endOnSignals(process.env.HB_JOB_CONTAINER_NS === '1');
  if (!process.env.HB_JOB_CONTAINER_NS) {
    // Every mount in a private mount namespace: gone with it, whatever ends the run.
    const r = await running(execa('unshare', ['--mount', '--propagation', 'private', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit', reject: false, env: { ...process.env, HB_JOB_CONTAINER_NS: '1' },
    }));
    if (!o.keep) rmSync(join(o.work, 'roots'), { recursive: true, force: true });
    return r.exitCode ?? 1;
  }
  mkdirSync(o.work, { recursive: true });
  const r = await runWorkflow(o);
  writeFileSync(join(o.work, 'result.json'), `${JSON.stringify(r, null, 2)}\n`);
  const failed = r.jobs.filter((x) => x.result === 'failure');
  o.log(`job container: ${r.jobs.map((x) => `${x.job} ${x.result} (${x.seconds.toFixed(0)} s)`).join(', ')}; ${r.seconds.toFixed(0)} s in all; ${join(o.work, 'result.json')}`);
  return failed.length ? 1 : 0;
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) process.exitCode = await main();
