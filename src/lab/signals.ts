// Ctrl-C, SIGTERM, SIGHUP or a crash stop the lab before the process exits, so no daemon,
// mount or directory outlives hellobench.

export interface ExitHooks {
  /** Runs first, synchronously (e.g. to stop recording samples). */
  onAbort?: (why: string) => void;
  /** Runs once the lab is stopped, before the process exits (e.g. to write the report). */
  afterStop?: () => Promise<void>;
}

/** What is stopped on the way out: the lab (typed loosely so that lab.ts can import this file). */
interface Stoppable { stop(): Promise<void> }

export function stopLabOnExit(lab: Stoppable, hooks: ExitHooks, log: (line: string) => void): void {
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
