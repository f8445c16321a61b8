// Ctrl-C for the measurement scripts that put a load beside `hellobench run`: the load (ours,
// killed by PID) stops first; a run in progress gets the signal and tears its lab down, and the
// script exits 130 once it has; without a run, the script exits at once.
import type { ResultPromise } from 'execa';

/** Installs the handlers; `interrupted()` says whether a signal came. */
export function stopOnSignal(stopLoad: () => void, current: () => ResultPromise | undefined): { interrupted: () => boolean } {
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      interrupted = true;
      stopLoad();
      const run = current();
      if (run) run.kill(sig);
      else process.exit(130);
    });
  }
  return { interrupted: () => interrupted };
}
