// The lab owns every process, mount and directory of a benchmark: a private containerd,
// the snapshotter daemon of the mode being measured, and a registry. Nothing else starts
// or kills them. reset() gives every sample a cold start; stop() leaves nothing.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { execa } from 'execa';
import { LAB_BASE } from '../paths.ts';
import { lockMachine } from './lock.ts';
import type { Mode } from '../systems/system.ts';
import { cleanStaleLabs, killAll, pidsUnder, pidsWithArg } from './cleanup.ts';
import { hostCgroups, runcCgroups } from './cgroups.ts';
import { LabCgroup, type LabUsage } from './accounting.ts';
import { containerdBuild, DEFAULT_CONTAINERD, renderContainerdConfig, type ContainerdBuild } from './containerd.ts';
import { checkPodSubnet, criConfigLines, crictlArgs, CRI_NAMESPACE, writeCrictlConfig, readIpForward, removeCniLeftovers, removePods, restoreIpForward } from './cri.ts';
import { ctrRuntime } from '../runtimes/ctr.ts';
import type { ContainerRuntime, RuntimeContext } from '../runtimes/runtime.ts';
import { Daemon, type DaemonSpec } from './daemon.ts';
import { LabError } from './errors.ts';
import { NetNs, type LinkSpec } from './link.ts';
import { unmountUnder } from './mounts.ts';
import { LabRegistry } from './registry.ts';
import { socketAnswers } from './sockets.ts';
import { tool } from './tools.ts';
import { lastLines } from '../util/text.ts';

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
  /** How samples create and start containers; `ctr` when absent. */
  runtime?: ContainerRuntime;
}

export class Lab {
  readonly dir: string;
  readonly containerdSock: string;
  readonly link: LinkSpec;
  readonly netns: NetNs | null;
  readonly containerd: ContainerdBuild;
  readonly registry: LabRegistry;
  readonly runtime: ContainerRuntime;
  /** The pods' pause image on the registry's direct host (CRI runtime), pushed by prepare. */
  sandboxImage: string | null = null;
  /** Every daemon started and not yet stopped. */
  private readonly live = new Set<Daemon>();
  private containerdDaemon: Daemon | null = null;
  private systemDaemon: Daemon | null = null;
  /** The state directory of the system whose daemon runs now (wiped on every reset). */
  private systemDir: string | null = null;
  private stopping: Promise<void> | null = null;
  /** hellobench's own cgroup while the lab is open: what the lab and its containers use is counted there. */
  private cgroup: LabCgroup | null = null;

  private constructor(readonly opts: LabOptions, private readonly unlock: () => void) {
    this.link = opts.link ?? { profile: 'loopback' };
    this.containerd = containerdBuild(opts.containerd ?? DEFAULT_CONTAINERD);
    this.runtime = opts.runtime ?? ctrRuntime;
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
      await cleanStaleLabs(opts.log);
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

  /**
   * Starts containerd on empty state, with the snapshotter daemon of `mode`'s system first
   * (none for a built-in snapshotter, or when `mode` is null: prepare needs none).
   */
  async startRuntime(mode: Mode | null): Promise<void> {
    const cdir = join(this.dir, 'containerd');
    mkdirSync(cdir, { recursive: true, mode: 0o700 });
    let proxy;
    const system = mode?.system;
    if (mode && system?.daemon) {
      const sdir = join(this.dir, system.name);
      mkdirSync(sdir, { recursive: true, mode: 0o700 });
      this.systemDir = sdir;
      const d = system.daemon({ dir: sdir, registryHosts: [...new Set([this.registryHost, this.directHost])], containerdSock: this.containerdSock }, mode);
      this.systemDaemon = await this.launch({ ...d.spec, name: system.name, dir: sdir, ready: () => socketAnswers(d.socket) });
      proxy = { name: system.snapshotter, socket: d.socket, lines: d.proxyPluginLines ?? [], unpack: d.unpack ?? false };
    }
    // Prepare (no mode) needs no CRI; samples of the CRI runtime do.
    const cri = mode && this.runtime.pods ? await this.criLines(cdir, mode) : undefined;
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
    if (cri && mode) await this.loadSandboxImage(mode);
  }

  // ---- the CRI runtime's node: pods, their network and the pause image -----------------

  private get crictl(): string[] {
    return crictlArgs(this.containerdSock, join(this.dir, 'crictl.yaml'));
  }

  private async criLines(cdir: string, mode: Mode): Promise<string[]> {
    if (!this.sandboxImage) throw new LabError('the CRI runtime needs the pause image: prepare pushes it before samples');
    const saved = join(this.dir, 'ip_forward');
    // Once per lab, before its first pod: the subnet is free, and how IP forwarding was.
    if (!existsSync(saved)) {
      await checkPodSubnet();
      writeFileSync(saved, readIpForward());
      writeCrictlConfig(this.containerdSock, join(this.dir, 'crictl.yaml'));
    }
    return criConfigLines({ containerdDir: cdir, snapshotter: mode.system.snapshotter, sandboxImage: this.sandboxImage, registryHosts: [...new Set([this.registryHost, this.directHost])], cgroups: this.cgroups });
  }

  /**
   * The pause image is on every Kubernetes node before a pod starts: pulled into the mode's
   * snapshotter over the direct path, before the sample's clock and byte count start, and
   * waited for until CRI lists it.
   */
  private async loadSandboxImage(mode: Mode): Promise<void> {
    const pull = await execa(this.ctr, ['--address', this.containerdSock, '--namespace', CRI_NAMESPACE, 'image', 'pull', '--local', '--plain-http',
      '--snapshotter', mode.system.snapshotter, this.sandboxImage!], { reject: false, all: true, timeout: 60_000 });
    if (pull.exitCode !== 0) throw new LabError(`pause image ${this.sandboxImage}: ctr image pull: ${lastLines(pull.all)}`);
    const [bin, ...args] = this.crictl as [string, ...string[]];
    for (let i = 0; i < 100; i++) {
      if ((await execa(bin, [...args, 'inspecti', this.sandboxImage!], { reject: false, timeout: 10_000 })).exitCode === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new LabError(`pause image ${this.sandboxImage}: CRI does not list it 5 s after its pull`);
  }

  /** runc's cgroup settings on this host: the same for CRI's config, its pods and ctr's containers. */
  get cgroups() {
    return runcCgroups(hostCgroups());
  }

  /** What a sample's runtime steps and lazy proof need of the lab. */
  sampleContext(): RuntimeContext {
    return {
      ctr: this.ctr, ctrArgs: this.ctrArgs(), dir: this.systemDir ?? join(this.dir, 'none'), cgroups: this.cgroups,
      ...(this.runtime.pods ? { crictl: this.crictl, podDir: join(this.dir, 'containerd', 'pods') } : {}),
    };
  }

  /** Stops containerd and the snapshotter with every container they ran, and wipes their state. */
  async stopRuntime(): Promise<void> {
    if (this.containerdDaemon) {
      // Pods first, through CRI: stopping a pod runs CNI DEL (its veth and address go).
      if (this.runtime.pods) await removePods(this.crictl);
      await this.killTasks();
      await this.halt(this.containerdDaemon);
      this.containerdDaemon = null;
    }
    // Shims (and the containers under them) started for this lab's containerd.
    killAll(pidsWithArg(this.containerdSock));
    await this.halt(this.systemDaemon);
    this.systemDaemon = null;
    const dirs = [join(this.dir, 'containerd'), ...(this.systemDir ? [this.systemDir] : [])];
    // Helpers a snapshotter spawned (e.g. nydusd) name its directory in their argv; they may outlive it.
    if (this.systemDir) killAll(pidsUnder(this.systemDir));
    const failed: string[] = [];
    for (const d of dirs) failed.push(...await unmountUnder(d));
    if (failed.length) throw new LabError(`cannot unmount ${failed.join('; ')}`);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    this.systemDir = null;
  }

  /** Cold state for the next sample: fresh daemons, empty state, dropped page cache. */
  async reset(mode: Mode): Promise<void> {
    await this.stopRuntime();
    await this.registry.ensureUp();
    await execa('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    await this.startRuntime(mode);
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
      await removeCniLeftovers();
      restoreIpForward(this.dir);
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
