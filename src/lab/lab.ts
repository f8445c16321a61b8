// The lab owns every process, mount and directory of a benchmark: a private
// containerd, the stargz snapshotter daemon, and a registry. Nothing else starts
// or kills them. reset() gives every sample a cold start; stop() leaves nothing.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { LAB_BASE, REGISTRY_STORE } from '../paths.ts';
import { Daemon, exeOf, isAlive, type DaemonSpec } from './daemon.ts';
import { mountsUnder, unmountUnder } from './mounts.ts';
import { tool } from './tools.ts';
import { describe, NetNs, staleNamespaces, type LinkSpec } from './link.ts';

export const NAMESPACE = 'hellobench';

export class LabError extends Error {}

export interface LabOptions {
  /** Called with one line per lab event (start, reset, stop), for progress output. */
  log?: (line: string) => void;
  /** The link to the registry; loopback (no namespace, no shaping) when absent. */
  link?: LinkSpec;
}

/** Registry port inside the lab's namespace: the relay (with the link's delay) and direct. */
const RELAY_PORT = 5000;
const DIRECT_PORT = 5001;

export class Lab {
  readonly dir: string;
  readonly containerdSock: string;
  readonly stargzSock: string;
  /** Where samples pull from: through the link (shaped, delayed). */
  registryHost = '';
  /** Where prepare pushes and pulls: the same registry without the relay (shape the link off first). */
  directHost = '';
  readonly link: LinkSpec;
  readonly netns: NetNs | null;
  private registry: Daemon | null = null;
  private relay: Daemon | null = null;
  /** Every daemon started and not yet stopped. */
  private readonly live = new Set<Daemon>();
  private containerd: Daemon | null = null;
  private stargz: Daemon | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(readonly opts: LabOptions) {
    this.link = opts.link ?? { profile: 'loopback' };
    this.netns = this.link.profile === 'loopback' ? null : new NetNs(process.pid);
    this.dir = join(LAB_BASE, `lab-${process.pid}`);
    this.containerdSock = join(this.dir, 'containerd', 'containerd.sock');
    this.stargzSock = join(this.dir, 'stargz', 'stargz.sock');
  }

  /** Checks privileges, clears what a crashed run left, and creates this lab's directory. */
  static async open(opts: LabOptions = {}): Promise<Lab> {
    if (process.getuid?.() !== 0) {
      throw new LabError('the lab needs root (containerd, mounts, page cache): run hellobench as root, e.g. with sudo');
    }
    await cleanStaleLabs(opts.log);
    const lab = new Lab(opts);
    mkdirSync(lab.dir, { recursive: true });
    writeFileSync(join(lab.dir, 'owner.json'), JSON.stringify({ pid: process.pid, started: new Date().toISOString() }));
    return lab;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /** Called right before anything is started: once stop() has begun, nothing new starts. */
  private assertOpen(): void {
    if (this.stopping) throw new LabError('the lab is stopping: no new daemon is started');
  }

  /**
   * The one way the lab starts a daemon. It is known to the lab before it is spawned, so a
   * stop() that comes while it starts up still stops it.
   */
  private async launch(spec: DaemonSpec): Promise<Daemon> {
    this.assertOpen();
    const d = new Daemon(spec);
    this.live.add(d);
    await d.start();
    return d;
  }

  private async halt(d: Daemon | null): Promise<void> {
    if (!d) return;
    await d.stop();
    this.live.delete(d);
  }

  // ---- registry -----------------------------------------------------------

  /** Starts the registry: on loopback, or inside the lab's namespace behind the link. */
  async startRegistry(): Promise<void> {
    const dir = join(this.dir, 'registry');
    mkdirSync(dir, { recursive: true });
    mkdirSync(REGISTRY_STORE, { recursive: true });
    const ns = this.netns;
    if (ns) {
      this.assertOpen();
      await ns.create();
      this.directHost = `${ns.nsAddr}:${DIRECT_PORT}`;
    } else {
      this.directHost = `127.0.0.1:${await freePort()}`;
    }
    const config = join(dir, 'config.yml');
    writeFileSync(config, [
      'version: 0.1',
      'log:',
      '  level: info',
      '  formatter: json',
      '  accesslog: { disabled: true }',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(REGISTRY_STORE)}`,
      '  delete: { enabled: true }',
      'http:',
      `  addr: ${this.directHost}`,
      '',
    ].join('\n'));
    const url = `http://${this.directHost}/v2/`;
    this.registry = await this.launch({
      name: 'registry', dir, argv: [tool('docker-registry'), 'serve', config], ...(ns ? { prefix: ns.exec() } : {}),
      ready: async () => (await fetch(url)).status === 200,
    });
    this.registryHost = this.directHost;
    if (ns && (this.link.rttMs ?? 0) > 0) {
      this.registryHost = `${ns.nsAddr}:${RELAY_PORT}`;
      const [host, port] = [ns.nsAddr, RELAY_PORT];
      this.relay = await this.launch({
        name: 'relay', dir, prefix: ns.exec(),
        argv: [tool('delay-relay'), '--listen', `${host}:${port}`, '--target', this.directHost, '--delay', `${(this.link.rttMs! / 2).toFixed(3)}ms`],
        ready: () => tcpAnswers(host, port),
      });
    }
    this.log(`registry up at ${this.registryHost} over link ${describe(this.link)} (store ${REGISTRY_STORE})`);
  }

  /** Turns the link's rate limit on (for samples) or off (for prepare). */
  async shapeLink(on: boolean): Promise<void> {
    if (this.netns) await this.netns.shape(on ? this.link.bandwidth : undefined);
  }

  /** Bytes received over the link so far (headers included); undefined on loopback. */
  linkRxBytes(): number | undefined {
    return this.netns?.hostRxBytes();
  }

  get registryLog(): string {
    if (!this.registry) throw new LabError('registry is not running');
    return this.registry.logFile;
  }

  // ---- containerd + stargz -------------------------------------------------

  /** Starts the stargz snapshotter (with prefetch on or off) and containerd on empty state. */
  async startRuntime(prefetch: boolean): Promise<void> {
    const cdir = join(this.dir, 'containerd');
    const sdir = join(this.dir, 'stargz');
    mkdirSync(cdir, { recursive: true });
    mkdirSync(sdir, { recursive: true });

    const stargzConfig = join(sdir, 'config.toml');
    writeFileSync(stargzConfig, [
      `noprefetch = ${!prefetch}`,
      // Plain HTTP to the lab registry must be allowed here too, not only on the ctr command line.
      ...[...new Set([this.registryHost, this.directHost])].flatMap((h) => [
        `[[resolver.host."${h}".mirrors]]`, `host = "${h}"`, 'insecure = true']),
      '',
    ].join('\n'));
    this.stargz = await this.launch({
      name: 'stargz', dir: sdir, stopSignal: 'SIGINT',
      argv: [tool('containerd-stargz-grpc'), '--address', this.stargzSock, '--config', stargzConfig, '--root', join(sdir, 'root'), '--log-level', 'debug'],
      ready: () => socketAnswers(this.stargzSock),
    });

    const config = join(cdir, 'config.toml');
    writeFileSync(config, [
      'version = 2',
      `root = "${join(cdir, 'root')}"`,
      `state = "${join(cdir, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
      '[grpc]',
      `  address = "${this.containerdSock}"`,
      '[ttrpc]',
      `  address = "${this.containerdSock}.ttrpc"`,
      '[debug]',
      '  level = "info"',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${join(cdir, 'opt')}"`,
      '[proxy_plugins.stargz]',
      '  type = "snapshot"',
      `  address = "${this.stargzSock}"`,
      '',
    ].join('\n'));
    this.containerd = await this.launch({
      name: 'containerd', dir: cdir,
      argv: [tool('containerd'), '--config', config],
      ready: async () => (await execa(tool('ctr'), ['--address', this.containerdSock, 'version'], { reject: false, timeout: 5000 })).exitCode === 0,
    });
  }

  /** argv prefix for `ctr` against this lab's containerd and namespace. */
  ctrArgs(): string[] {
    return ['--address', this.containerdSock, '--namespace', NAMESPACE];
  }

  /** Stops containerd and the snapshotter with every container they ran, and wipes their state. */
  async stopRuntime(): Promise<void> {
    if (this.containerd) {
      await this.killTasks();
      await this.halt(this.containerd);
      this.containerd = null;
    }
    await this.killShims();
    await this.halt(this.stargz);
    this.stargz = null;
    const failed = await unmountUnder(join(this.dir, 'containerd'));
    failed.push(...await unmountUnder(join(this.dir, 'stargz')));
    if (failed.length) throw new LabError(`cannot unmount ${failed.join('; ')}`);
    for (const d of [join(this.dir, 'containerd'), join(this.dir, 'stargz')]) rmSync(d, { recursive: true, force: true });
  }

  /** Cold state for the next sample: fresh daemons, empty state, dropped page cache. */
  async reset(prefetch: boolean): Promise<void> {
    await this.stopRuntime();
    await execa('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    await this.startRuntime(prefetch);
  }

  get runtimeUp(): boolean {
    return this.containerd !== null;
  }

  /** FUSE mounts the stargz snapshotter holds right now (one per lazily mounted layer). */
  lazyMounts(): number {
    return mountsUnder(join(this.dir, 'stargz')).filter((m) => m.fstype.startsWith('fuse')).length;
  }

  private async killTasks(): Promise<void> {
    const ctr = tool('ctr');
    const ls = await execa(ctr, [...this.ctrArgs(), 'task', 'ls', '-q'], { reject: false, timeout: 10_000 });
    for (const id of ls.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
      await execa(ctr, [...this.ctrArgs(), 'task', 'kill', '-s', 'SIGKILL', id], { reject: false, timeout: 10_000 });
      await execa(ctr, [...this.ctrArgs(), 'task', 'delete', '--force', id], { reject: false, timeout: 10_000 });
    }
  }

  /** Kills shims (and the containers under them) that were started for this lab's containerd. */
  private async killShims(): Promise<void> {
    for (const pid of pidsWithArg(this.containerdSock)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  // ---- whole lab -------------------------------------------------------------

  /** Stops everything and removes the lab directory. Safe to call twice or concurrently. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const errors: string[] = [];
      await this.stopRuntime().catch((e: Error) => errors.push(e.message));
      for (const d of [this.relay, this.registry, ...this.live]) await this.halt(d).catch((e: Error) => errors.push(e.message));
      this.relay = null;
      this.registry = null;
      await this.netns?.remove();
      const failed = await unmountUnder(this.dir);
      if (failed.length) errors.push(`cannot unmount ${failed.join('; ')}`);
      else rmSync(this.dir, { recursive: true, force: true });
      this.log('lab stopped');
      if (errors.length) throw new LabError(`lab stop: ${errors.join('; ')}`);
    })();
    return this.stopping;
  }
}

/** PIDs of processes whose argv contains `arg` exactly (e.g. our containerd socket). */
function pidsWithArg(arg: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(arg)) out.push(Number(name));
    } catch { /* exited */ }
  }
  return out;
}

/** [pid, owning lab pid] of processes with an argument inside some lab's directory. */
function labProcesses(): [number, number][] {
  const re = new RegExp(`^${LAB_BASE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/lab-(\\d+)(/|$)`);
  const out: [number, number][] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      for (const arg of readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')) {
        const m = re.exec(arg);
        if (m) { out.push([Number(name), Number(m[1])]); break; }
      }
    } catch { /* exited */ }
  }
  return out;
}

/** Removes labs whose owning hellobench process is gone: kills their daemons, unmounts, deletes. */
export async function cleanStaleLabs(log?: (line: string) => void): Promise<void> {
  if (!existsSync(LAB_BASE)) return;
  for (const name of readdirSync(LAB_BASE)) {
    if (!name.startsWith('lab-')) continue;
    const dir = join(LAB_BASE, name);
    let owner = 0;
    try { owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')).pid; } catch { /* no owner */ }
    if (owner && owner !== process.pid && isAlive(owner) && exeOf(owner)?.includes('node')) continue;
    log?.(`cleaning up ${dir} left by a run that did not finish`);
    for (const [sub, name] of [['containerd', 'containerd'], ['stargz', 'stargz'], ['registry', 'registry'], ['registry', 'relay']]) {
      const pidFile = join(dir, sub!, `${name}.pid`);
      try {
        const { pid, exe } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number; exe: string };
        if (exeOf(pid) === exe) process.kill(pid, 'SIGKILL');
      } catch { /* none */ }
    }
    for (const pid of pidsWithArg(join(dir, 'containerd', 'containerd.sock'))) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await new Promise((r) => setTimeout(r, 200));
    const failed = await unmountUnder(dir);
    if (failed.length) throw new LabError(`cannot clean stale lab ${dir}: ${failed.join('; ')}`);
    rmSync(dir, { recursive: true, force: true });
  }
  // Daemons of dead labs whose directory is already gone: their argv names the lab's path.
  for (const [pid, owner] of labProcesses()) {
    if (owner !== process.pid && !(isAlive(owner) && exeOf(owner)?.includes('node'))) {
      log?.(`stopping process ${pid} left by lab ${owner}`);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  for (const ns of await staleNamespaces((pid) => isAlive(pid) && !!exeOf(pid)?.includes('node'))) {
    log?.(`removing network namespace ${ns.ns} left by a run that did not finish`);
    await ns.remove();
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function tcpAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ExitHooks {
  /** Runs first, synchronously (e.g. to stop recording samples). */
  onAbort?: (why: string) => void;
  /** Runs once the lab is stopped, before the process exits (e.g. to write the report). */
  afterStop?: () => Promise<void>;
}

/**
 * Stops the lab on Ctrl-C, SIGTERM or a crash before the process exits, so no daemon,
 * mount or directory outlives hellobench.
 */
export function stopLabOnExit(lab: Lab, hooks: ExitHooks, log: (line: string) => void): void {
  let exiting = false;
  const shutdown = (why: string, code: number) => {
    if (exiting) {
      log(`${why} again: still stopping the lab, please wait`);
      return;
    }
    exiting = true;
    const warn = (err: unknown) => log(`while stopping: ${(err as Error)?.message ?? err}`);
    try {
      hooks.onAbort?.(why);
    } catch (err) {
      warn(err);
    }
    log(`${why}: stopping the lab`);
    void lab.stop().catch(warn)
      .then(() => hooks.afterStop?.()).catch(warn)
      .finally(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown('interrupted (SIGINT)', 130));
  process.on('SIGTERM', () => shutdown('terminated (SIGTERM)', 143));
  process.on('SIGHUP', () => shutdown('hung up (SIGHUP)', 129));
  process.on('uncaughtException', (err) => { log(`crash: ${err.stack ?? err}`); shutdown('crash', 1); });
  process.on('unhandledRejection', (err) => { log(`crash: ${(err as Error)?.stack ?? err}`); shutdown('crash', 1); });
}
