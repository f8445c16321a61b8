// The lab's registry (distribution 2.x, Debian's docker-registry) on its shared store: on
// loopback, or inside the lab's network namespace behind the link, with the delay relay in
// front when the link has a round-trip time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTRY_STORE } from '../paths.ts';
import type { Daemon, DaemonSpec } from './daemon.ts';
import { LabError } from './errors.ts';
import { describe, type LinkSpec, type NetNs } from './link.ts';
import { freePort, tcpAnswers } from './sockets.ts';
import { tool } from './tools.ts';

/** Ports inside the lab's namespace: the relay (with the link's delay) and the registry itself. */
const RELAY_PORT = 5000;
const DIRECT_PORT = 5001;

export class LabRegistry {
  /** Where samples pull from: through the link (shaped, delayed). */
  host = '';
  /** Where prepare pushes and pulls: the registry without the relay (shape the link off first). */
  directHost = '';
  private daemon: Daemon | null = null;

  constructor(
    private readonly dir: string,
    private readonly link: LinkSpec,
    private readonly netns: NetNs | null,
    private readonly launch: (spec: DaemonSpec) => Promise<Daemon>,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(REGISTRY_STORE, { recursive: true });
    const ns = this.netns;
    if (ns) {
      await ns.create();
      this.directHost = `${ns.nsAddr}:${DIRECT_PORT}`;
    } else {
      this.directHost = `127.0.0.1:${await freePort()}`;
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
      `  addr: ${this.directHost}`,
      '',
    ].join('\n'));
    const url = `http://${this.directHost}/v2/`;
    this.daemon = await this.launch({
      name: 'registry', dir: this.dir, argv: [tool('docker-registry'), 'serve', config], ...(ns ? { prefix: ns.exec() } : {}),
      ready: async () => (await fetch(url)).status === 200,
    });
    this.host = this.directHost;
    if (ns && (this.link.rttMs ?? 0) > 0) {
      this.host = `${ns.nsAddr}:${RELAY_PORT}`;
      await this.launch({
        name: 'relay', dir: this.dir, prefix: ns.exec(),
        argv: [tool('delay-relay'), '--listen', this.host, '--target', this.directHost, '--delay', `${(this.link.rttMs! / 2).toFixed(3)}ms`],
        ready: () => tcpAnswers(ns.nsAddr, RELAY_PORT),
      });
    }
    this.log(`registry up at ${this.host} over link ${describe(this.link)} (store ${REGISTRY_STORE})`);
  }

  /** The registry's JSON log: one line per response, read for bytes fetched. */
  get logFile(): string {
    if (!this.daemon) throw new LabError('registry is not running');
    return this.daemon.logFile;
  }
}
