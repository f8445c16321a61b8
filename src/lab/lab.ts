// The lab owns every process, mount and directory of a benchmark: a private containerd,
// the snapshotter daemon of the mode being measured, and a registry. Nothing else starts
// or kills them. reset() gives every sample a cold start; stop() leaves nothing. What runs
// beside containerd is declared by the layers above (node.ts): the lab names no system and
// no runtime.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { execa } from 'execa';
import { LAB_BASE } from '../paths.ts';
import { lockMachine } from './lock.ts';
import { cleanStaleLabs, killAll, pidsUnder, pidsWithArg } from './cleanup.ts';
import { hostCgroups, runcCgroups } from './cgroups.ts';
import { LabCgroup, type LabUsage } from './accounting.ts';
import { containerdBuild, DEFAULT_CONTAINERD, renderContainerdConfig, type ContainerdBuild } from './containerd.ts';
import type { LabSnapshotter, LeftoverCleaner, NodeContext, RuntimeNode, SampleContext } from './node.ts';
import { Daemon, type DaemonSpec } from './daemon.ts';
import { LabError } from './errors.ts';
import { NetNs, type LinkSpec } from './link.ts';
import { unmountUnder } from './mounts.ts';
import { LabRegistry } from './registry.ts';
import { socketAnswers } from './sockets.ts';
import { tool } from './tools.ts';
import { daemonUsage, diskMb, type DaemonUsage } from './usage.ts';

export { LabError } from './errors.ts';
export { cleanStaleLabs } from './cleanup.ts';
export { stopLabOnExit, type ExitHooks } from './signals.ts';

export const NAMESPACE = 'hellobench';

export interface LabOptions {
  /** Called with one line per lab event (start, reset, stop), for progress output. */
  log?: (line: string) => void;
  /** The link to the registry; loopback (no namespace, no shaping) when absent. */
  link?: LinkSpec;
  /** Which containerd (see containerd.ts); the default when absent. */
  containerd?: string;
  /** What the runtime measured needs beside containerd for its samples (node.ts); none when absent. */
  node?: RuntimeNode;
  /** What killed runs of every runtime left on the host, removed before this lab starts. */
  leftovers?: LeftoverCleaner[];
}

export class Lab {
  readonly dir: string;
  readonly containerdSock: string;
  readonly link: LinkSpec;
  readonly netns: NetNs | null;
  readonly containerd: ContainerdBuild;
  readonly registry: LabRegistry;
  readonly node: RuntimeNode;
  /** Every daemon started and not yet stopped. */
  private readonly live = new Set<Daemon>();
  private containerdDaemon: Daemon | null = null;
  private systemDaemon: Daemon | null = null;
  /** The state directory of the system whose daemon runs now (wiped on every reset). */
  private systemDir: string | null = null;
  /** The snapshotter containerd runs with now (null: prepare's, with none configured). */
  private snapshotter: LabSnapshotter | null = null;
  private stopping: Promise<void> | null = null;
  /** hellobench's own cgroup while the lab is open: what the lab and its containers use is counted there. */
  private cgroup: LabCgroup | null = null;

  private constructor(readonly opts: LabOptions, private readonly unlock: () => void) {
    this.link = opts.link ?? { profile: 'loopback' };
    this.containerd = containerdBuild(opts.containerd ?? DEFAULT_CONTAINERD);
    this.node = opts.node ?? {};
    this.netns = this.link.profile === 'loopback' ? null : new NetNs(process.pid);
    this.dir = join(LAB_BASE, `lab-${process.pid}`);
    this.containerdSock = join(this.dir, 'containerd', 'containerd.sock');
    this.registry = new LabRegistry(join(this.dir, 'registry'), this.link, this.netns, (spec) => this.launch(spec), (l) => this.log(l));
  }

  /** Checks privileges, clears what a crashed run left, and creates this lab's directory. */
  static async open(opts: LabOptions = {}): Promise<Lab> {
    if (process.getuid?.() !== 0) {
      throw new LabError('the lab needs root (containerd, mounts, page cache): run hellobench as root, e.g. with sudo');
    }
    const unlock = lockMachine();
    try {
      await cleanStaleLabs(opts.log, opts.leftovers);
    } catch (err) {
      unlock();
      throw err;
    }
    const lab = new Lab(opts, unlock);
    try {
      // Before any daemon starts, so that each inherits it.
      lab.cgroup = LabCgroup.enter();
    } catch (err) {
      unlock();
      throw err;
    }
    mkdirSync(lab.dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(lab.dir, 'owner.json'), JSON.stringify({ pid: process.pid, started: new Date().toISOString() }));
    return lab;
  }

  /** CPU time and pressure of the lab and its containers so far (see accounting.ts). */
  usage(): LabUsage | undefined {
    return this.cgroup?.usage();
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /**
   * The one way the lab starts a daemon. It is known to the lab before it is spawned, so a
   * stop() that comes while it starts up still stops it.
   */
  private async launch(spec: DaemonSpec): Promise<Daemon> {
    if (this.stopping) throw new LabError('the lab is stopping: no new daemon is started');
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

  // ---- registry and link --------------------------------------------------------

  async startRegistry(): Promise<void> {
    await this.registry.start();
  }

  /** Where samples pull from: through the link (shaped, delayed). */
  get registryHost(): string {
    return this.registry.host;
  }

  /** Where prepare pushes and pulls: the same registry over the direct path, unshaped and undelayed. */
  get directHost(): string {
    return this.registry.directHost;
  }

  /** Bytes received over the link so far (headers included); undefined on loopback. */
  linkRxBytes(): number | undefined {
    return this.netns?.hostRxBytes();
  }

  // ---- containerd and the mode's snapshotter ---------------------------------------

  /** `ctr` of the lab's containerd. */
  get ctr(): string {
    return tool(this.containerd.ctr);
  }

  /** argv prefix for `ctr` against this lab's containerd and namespace. */
  ctrArgs(): string[] {
    return ['--address', this.containerdSock, '--namespace', NAMESPACE];
  }

  /** Registry hosts that daemons reach over plain HTTP: through the link and direct. */
  private get registryHosts(): string[] {
    return [...new Set([this.registryHost, this.directHost])];
  }

  /** What the runtime's node hooks get for the snapshotter containerd runs with now. */
  private nodeContext(snap: LabSnapshotter): NodeContext {
    return {
      labDir: this.dir, containerdDir: join(this.dir, 'containerd'), containerdSock: this.containerdSock, ctr: this.ctr,
      snapshotter: snap.snapshotter, registryHosts: this.registryHosts, cgroups: this.cgroups,
    };
  }

  /**
   * Starts containerd on empty state, with the snapshotter's daemon first (none for a
   * built-in snapshotter, or when `snap` is null: prepare needs none, nor the runtime's node).
   */
  async startRuntime(snap: LabSnapshotter | null): Promise<void> {
    const cdir = join(this.dir, 'containerd');
    mkdirSync(cdir, { recursive: true, mode: 0o700 });
    this.snapshotter = snap;
    let proxy;
    if (snap?.daemon) {
      const sdir = join(this.dir, snap.name);
      mkdirSync(sdir, { recursive: true, mode: 0o700 });
      this.systemDir = sdir;
      const d = snap.daemon({ dir: sdir, registryHosts: this.registryHosts, containerdSock: this.containerdSock });
      this.systemDaemon = await this.launch({ ...d.spec, name: snap.name, dir: sdir, ready: () => socketAnswers(d.socket) });
      proxy = { name: snap.snapshotter, socket: d.socket, lines: d.proxyPluginLines ?? [], unpack: d.unpack ?? false };
    }
    const cri = snap && this.node.containerdConfig ? await this.node.containerdConfig(this.nodeContext(snap)) : undefined;
    const config = join(cdir, 'config.toml');
    writeFileSync(config, renderContainerdConfig(this.containerd, {
      root: join(cdir, 'root'), state: join(cdir, 'state'), socket: this.containerdSock, optDir: join(cdir, 'opt'), ...(proxy ? { proxy } : {}), ...(cri ? { cri } : {}),
    }));
    const ctr = this.ctr;
    // containerd finds its shim on PATH: this build's shim must come before any other.
    const shimDir = dirname(tool(this.containerd.shim));
    this.containerdDaemon = await this.launch({
      name: 'containerd', dir: cdir,
      argv: [tool(this.containerd.containerd), '--config', config],
      env: { PATH: [shimDir, process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'].join(delimiter) },
      ready: async () => (await execa(ctr, ['--address', this.containerdSock, 'version'], { reject: false, timeout: 5000 })).exitCode === 0,
    });
    if (snap) await this.node.started?.(this.nodeContext(snap));
  }

  /** runc's cgroup settings on this host: the same for CRI's config, its pods and ctr's containers. */
  get cgroups() {
    return runcCgroups(hostCgroups());
  }

  /** What a sample's runtime steps and lazy proof need of the lab. */
  sampleContext(): SampleContext {
    return {
      ctr: this.ctr, ctrArgs: this.ctrArgs(), dir: this.systemDir ?? join(this.dir, 'none'), cgroups: this.cgroups,
      labDir: this.dir, containerdSock: this.containerdSock,
    };
  }

  /** Stops containerd and the snapshotter with every container they ran, and wipes their state. */
  async stopRuntime(): Promise<void> {
    if (this.containerdDaemon) {
      if (this.snapshotter) await this.node.beforeStop?.(this.nodeContext(this.snapshotter));
      await this.killTasks();
      await this.halt(this.containerdDaemon);
      this.containerdDaemon = null;
    }
    // Shims (and the containers under them) started for this lab's containerd.
    killAll(pidsWithArg(this.containerdSock));
    await this.halt(this.systemDaemon);
    this.systemDaemon = null;
    const dirs = [join(this.dir, 'containerd'), ...(this.systemDir ? [this.systemDir] : [])];
    // Helpers a snapshotter spawned (a FUSE server per image, for one) name its directory in their argv; they may outlive it.
    if (this.systemDir) killAll(pidsUnder(this.systemDir));
    const failed: string[] = [];
    for (const d of dirs) failed.push(...await unmountUnder(d));
    if (failed.length) throw new LabError(`cannot unmount ${failed.join('; ')}`);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    this.systemDir = null;
  }

  /**
   * What containerd and the snapshotter's daemon (under its system's name) cost in this sample
   * so far, and their state on disk (usage.ts); read when the sample ends, outside its clock.
   */
  daemonUsage(): Record<string, DaemonUsage & { disk_mb?: number }> {
    const system = this.snapshotter?.daemon ? this.snapshotter.name : undefined;
    const usage: Record<string, DaemonUsage & { disk_mb?: number }> = daemonUsage({ containerd: this.containerdDaemon?.pid, ...(system ? { [system]: this.systemDaemon?.pid } : {}) });
    const disk = (name: string, dir: string | null) => {
      const mb = dir ? diskMb(dir) : undefined;
      if (usage[name] && mb !== undefined) usage[name].disk_mb = mb;
    };
    disk('containerd', join(this.dir, 'containerd'));
    if (system) disk(system, this.systemDir);
    return usage;
  }

  /** Cold state for the next sample: fresh daemons, empty state, dropped page cache. */
  async reset(snap: LabSnapshotter): Promise<void> {
    await this.stopRuntime();
    await this.registry.ensureUp();
    await execa('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    await this.startRuntime(snap);
  }

  get runtimeUp(): boolean {
    return this.containerdDaemon !== null;
  }

  private async killTasks(): Promise<void> {
    const ctr = this.ctr;
    const ls = await execa(ctr, [...this.ctrArgs(), 'task', 'ls', '-q'], { reject: false, timeout: 10_000 });
    for (const id of ls.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
      await execa(ctr, [...this.ctrArgs(), 'task', 'kill', '-s', 'SIGKILL', id], { reject: false, timeout: 10_000 });
      await execa(ctr, [...this.ctrArgs(), 'task', 'delete', '--force', id], { reject: false, timeout: 10_000 });
    }
  }

  // ---- whole lab -------------------------------------------------------------

  /** Stops everything and removes the lab directory. Safe to call twice or concurrently. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const errors: string[] = [];
      await this.stopRuntime().catch((e: Error) => errors.push(e.message));
      for (const d of [...this.live]) await this.halt(d).catch((e: Error) => errors.push(e.message));
      await this.netns?.remove();
      await this.node.stopped?.(this.dir).catch((e: Error) => errors.push(e.message));
      const failed = await unmountUnder(this.dir);
      if (failed.length) errors.push(`cannot unmount ${failed.join('; ')}`);
      else rmSync(this.dir, { recursive: true, force: true });
      this.cgroup?.leave();
      this.unlock();
      this.log('lab stopped');
      if (errors.length) throw new LabError(`lab stop: ${errors.join('; ')}`);
    })();
    return this.stopping;
  }
}
