// Small readiness checks and port picking for the lab's daemons.
import { createConnection, createServer, type NetConnectOpts } from 'node:net';

function answers(opts: NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(opts);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Whether something accepts connections on a unix socket. */
export const socketAnswers = (path: string) => answers({ path });

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
