// The lab's registry (distribution 2.x, Debian's docker-registry) on its shared store: on
// loopback, or inside the lab's network namespace, on one port on all its addresses: the
// link's (TUN pair, shaped and delayed by the delay line) and the direct path's (veth).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTRY_STORE } from '../paths.ts';
import type { Daemon, DaemonSpec } from './daemon.ts';
import { LabError } from './errors.ts';
import { describe, type LinkSpec, type NetNs } from './link.ts';
import { freePort } from './sockets.ts';
import { tool } from './tools.ts';

/** The registry's port inside the lab's namespace. */
const PORT = 5000;

export class LabRegistry {
  /** Where samples pull from: through the link (shaped, delayed). */
  host = '';
  /** Where prepare pushes and pulls, and the probe's baseline: the veth, unshaped and undelayed. */
  directHost = '';
  private daemon: Daemon | null = null;
  private spec: DaemonSpec | null = null;

  constructor(
    private readonly dir: string,
    private readonly link: LinkSpec,
    private readonly netns: NetNs | null,
    private readonly launch: (spec: DaemonSpec) => Promise<Daemon>,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // The store is the lab's state: root's alone, also when an older version made it.
    mkdirSync(REGISTRY_STORE, { recursive: true, mode: 0o700 });
    chmodSync(REGISTRY_STORE, 0o700);
    const ns = this.netns;
    let listen;
    if (ns) {
      await ns.create();
      // The delay line runs in the host's namespace (it creates both devices there); the lab
      // stops it by PID, and crash clean-up finds it by its device names.
      await this.launch({ name: 'delay-line', dir: this.dir, argv: ns.delayLineArgv(this.link.rttMs ?? 0), ready: async () => ns.lineCreated() });
      await ns.connectLine(this.link.bandwidth);
      listen = `:${PORT}`;
      this.directHost = `${ns.nsAddr}:${PORT}`;
      this.host = `${ns.nsTunAddr}:${PORT}`;
    } else {
      listen = `127.0.0.1:${await freePort()}`;
      this.directHost = this.host = listen;
    }
    const config = join(this.dir, 'config.yml');
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
      `  addr: ${JSON.stringify(listen)}`,
      '',
    ].join('\n'));
    const url = `http://${this.directHost}/v2/`;
    this.spec = {
      name: 'registry', dir: this.dir, argv: [tool('docker-registry'), 'serve', config], ...(ns ? { prefix: ns.exec() } : {}),
      ready: async () => (await fetch(url)).status === 200,
    };
    this.daemon = await this.launch(this.spec);
    this.log(`registry up at ${this.host} over link ${describe(this.link)} (store ${REGISTRY_STORE})`);
  }

  /** Starts the registry again if it died (under a sample): the samples after it still measure. */
  async ensureUp(): Promise<void> {
    if (!this.spec || !this.daemon || this.daemon.running) return;
    this.log(`registry had exited (${this.daemon.tail()}): starting it again`);
    this.daemon = await this.launch(this.spec);
  }

  /** The registry's JSON log: one line per response, read for bytes fetched. */
  get logFile(): string {
    if (!this.daemon) throw new LabError('registry is not running');
    return this.daemon.logFile;
  }
}
