// One lab per machine. Two would share the registry store (concurrent pushes of one image),
// the page cache the samples drop and the CPU they time: the second run refuses, naming the
// first, rather than measuring each other.
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_BASE } from '../paths.ts';
import { ownerAlive } from './cleanup.ts';
import { LabError } from './errors.ts';

const holder = (file: string): number | undefined => {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
};

/** Takes the machine's lab lock (a killed run's lock is taken over); returns its release. */
export function lockMachine(base = LAB_BASE): () => void {
  mkdirSync(base, { recursive: true, mode: 0o700 });
  chmodSync(base, 0o700); // every lab's state, sockets and logs: root's alone
  const file = join(base, 'lock');
  // Written whole under another name, then linked: the lock never exists without its PID.
  const mine = join(base, `lock.${process.pid}`);
  writeFileSync(mine, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (;;) {
      try {
        linkSync(mine, file);
        return () => { if (holder(file) === process.pid) rmSync(file, { force: true }); };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = holder(file);
      if (pid === process.pid) return () => rmSync(file, { force: true });
      if (pid !== undefined && ownerAlive(pid)) {
        throw new LabError(`another hellobench (pid ${pid}) runs a lab on this machine; two would disturb each other's samples: wait for it to end, or stop it with kill -INT ${pid}`);
      }
      rmSync(file, { force: true }); // left by a run that was killed
    }
  } finally {
    rmSync(mine, { force: true });
  }
}
