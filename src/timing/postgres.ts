// The load after ready for a database: pgbench's select-only transaction (one primary-key read
// of pgbench_accounts at a random aid) sent by the open load's schedule over a pool of
// connections. Its table is written first, as `pgbench -i` writes it (100 000 rows per scale
// unit), and the time that took is the setup's. pgbench itself is not used: it lives in
// Debian's PostgreSQL server package, whose install creates and starts a cluster on the port
// the container serves on, and its --rate schedule is random where the HTTP load's is fixed.
import pg from 'pg';
import { prng } from '../util/random.ts';
import { REQUEST_TIMEOUT_MS, type LoadTarget } from './load.ts';

export interface PostgresSpec { host: string; port: number; user: string; database: string; connections: number; scale: number }

const ROWS_PER_SCALE = 100_000;

/** Connects as pgbench does, with the load's timeout on connecting and on each query. */
const clientConfig = (s: PostgresSpec) => ({ host: s.host, port: s.port, user: s.user, database: s.database, connectionTimeoutMillis: REQUEST_TIMEOUT_MS, query_timeout: REQUEST_TIMEOUT_MS });

/** Writes pgbench_accounts (scale x 100 000 rows, its primary key, analysed); the seconds it took. */
export async function writeAccounts(s: PostgresSpec): Promise<number> {
  const client = new pg.Client(clientConfig(s));
  client.on('error', () => {});
  const start = performance.now();
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS pgbench_accounts');
    await client.query('CREATE TABLE pgbench_accounts (aid int NOT NULL, bid int, abalance int, filler char(84)) WITH (fillfactor = 100)');
    await client.query('INSERT INTO pgbench_accounts SELECT aid, (aid - 1) / $1 + 1, 0, \'\' FROM generate_series(1, $2::int) AS aid', [ROWS_PER_SCALE, s.scale * ROWS_PER_SCALE]);
    await client.query('ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid)');
    await client.query('ANALYZE pgbench_accounts');
  } finally {
    await client.end().catch(() => {});
  }
  return (performance.now() - start) / 1000;
}

/** pgbench -S's transaction over a pool of `connections`: answered when the row came back. */
export function postgresTarget(s: PostgresSpec, seed: number): LoadTarget {
  const pool = new pg.Pool({ ...clientConfig(s), max: s.connections });
  // A server that dies mid-load fails the queries; an idle client's error must not end the process.
  pool.on('error', () => {});
  const rand = prng(seed);
  const rows = s.scale * ROWS_PER_SCALE;
  return {
    send: async () => (await pool.query('SELECT abalance FROM pgbench_accounts WHERE aid = $1', [1 + Math.floor(rand() * rows)])).rowCount === 1,
    close: () => pool.end().catch(() => {}),
  };
}
