// The load after ready of a sample whose workload defines one: run by the runtime once the
// server is up, at the address it answers at, outside the clock; an HTTP server gets GETs, a
// database pgbench's select-only transaction after its table is written.
import type { Workload } from '../catalog/schema.ts';
import { fetchedBetween, type Fetch } from '../lab/fetchlog.ts';
import type { AfterReady } from '../results/sample.ts';
import { httpTarget, runLoad } from '../timing/load.ts';
import { postgresTarget, writeAccounts } from '../timing/postgres.ts';
import { oneLine } from '../util/text.ts';
import { roundTo } from '../util/round.ts';


/**
 * The load after ready of a workload that has one: run by the runtime once the server is up,
 * at the address it answers at; what the registry served meanwhile is added once logged.
 */
export class LoadAfterReady {
  window?: [number, number];
  outcome?: Omit<AfterReady, 'bytes_fetched' | 'requests_fetched'>;

  constructor(private readonly w: Workload, private readonly seed: number) {}

  async run(address: string): Promise<void> {
    const a = this.w.after_ready!;
    const http = a.http ?? this.w.ready?.http;
    const target = a.postgres ? `postgres ${a.postgres.port}: pgbench select-only, scale ${a.postgres.scale}` : `${http!.port}${http!.path}`;
    const base = { rate: a.rate, seconds: a.seconds, target };
    const from = Date.now();
    const spec = { seconds: a.seconds, rate: a.rate, ...(a.requests ? { requests: a.requests } : {}) };
    try {
      if (a.postgres) {
        const db = { ...a.postgres, host: address, connections: a.connections };
        const setup_s = roundTo(await writeAccounts(db), 3);
        this.outcome = { ...base, setup_s, ...(await runLoad(spec, postgresTarget(db, this.seed))) };
      } else {
        this.outcome = { ...base, ...(await runLoad(spec, httpTarget(`http://${address}:${http!.port}${http!.path}`, a.connections))) };
      }
    } catch (err) {
      this.outcome = { ...base, sent: 0, answered: 0, errors: 0, per_second: [], problem: oneLine(err) };
    }
    this.window = [from, Date.now()];
  }

  result(fetched: Fetch[]): AfterReady {
    const f = this.window ? fetchedBetween(fetched, ...this.window) : { bytes: 0, requests: 0 };
    return { ...this.outcome!, bytes_fetched: f.bytes, requests_fetched: f.requests };
  }
}
