// Runs `ctr-remote image optimize`. With a profile, the workload itself runs under
// fanotify so the converted image puts what it reads first (and prefetches it):
// its own command, env, mounts and stdin; a server runs until its wait line plus a
// grace period (not a blind fixed period), anything else until it exits.
import { execa } from 'execa';
import type { Workload } from '../catalog/schema.ts';
import { tool } from '../lab/tools.ts';
import { serialized } from '../util/serial.ts';
import { lastLines } from '../util/text.ts';

/** Seconds a server keeps running after its wait line, so start-up reads that follow it count. */
export const PROFILE_GRACE_S = 2;

export interface OptimizeJob {
  workload: Workload;
  ctrArgs: string[];
  flags: string[];
  /** Where to keep the profiling run's access record; absent for a conversion without profiling. */
  recordFile?: string;
  src: string;
  dst: string;
}

/**
 * The profiling container runs what a sample's `ctr container create ... -- COMMAND` runs.
 * ctr-remote takes it as entrypoint + args; it treats empty args as unset and appends the
 * image's CMD then, which is why images built here carry no CMD.
 */
export function workloadFlags(w: Workload): string[] {
  const out: string[] = [];
  if (w.command) out.push('--entrypoint', JSON.stringify(w.command.slice(0, 1)), '--args', JSON.stringify(w.command.slice(1)));
  for (const [k, v] of Object.entries(w.env)) out.push('--env', `${k}=${v}`);
  for (const m of w.mounts) out.push('--mount', `type=bind,source=${m.source},destination=${m.target},options=rbind:ro`);
  if (w.stdin !== undefined) out.push('-i');
  return out;
}

/**
 * One conversion at a time: images share layers (the Debian base), and two ctr-remote runs
 * writing the same converted blob lose it to containerd's garbage collection when the
 * first one's lease ends ("content digest ... not found").
 */
export const optimize = serialized(optimizeNow);

async function optimizeNow(job: OptimizeJob): Promise<void> {
  const w = job.workload;
  const profile = job.recordFile !== undefined;
  const limitS = w.profile_period ?? w.timeout;
  const argv = [...job.ctrArgs, 'image', 'optimize', '--oci', ...job.flags,
    ...(profile ? ['--record-out', job.recordFile!, '--wait-on-signal', '--period', String(limitS), ...workloadFlags(w)] : []),
    job.src, job.dst];
  const child = execa(tool('ctr-remote'), argv, { reject: false, all: true, input: profile ? (w.stdin ?? '') : '' });
  let output = '';
  let ended: string | null = null;
  const stop = (why: string) => {
    if (ended) return;
    ended = why;
    child.kill('SIGINT');
  };
  const limit = profile ? setTimeout(() => stop(`no exit or wait line within ${limitS}s`), limitS * 1000) : undefined;
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    // The limit is on the workload, not on the conversion that follows it.
    if (/container exit with code \d+/.test(output)) clearTimeout(limit);
    if (w.waitline && !ended && output.includes(w.waitline)) {
      ended = 'wait line';
      clearTimeout(limit);
      setTimeout(() => child.kill('SIGINT'), PROFILE_GRACE_S * 1000);
    }
  });
  const r = await child;
  clearTimeout(limit);
  if (r.exitCode !== 0) {
    throw new Error(`ctr-remote image optimize ${job.dst}: exit ${r.exitCode ?? r.signal}: ${workloadLines(output)}`);
  }
  if (!profile) return;
  const code = /container exit with code (\d+)/.exec(output)?.[1];
  if (w.pattern === 'cmd-arg-wait' && ended !== 'wait line') {
    throw new Error(`profiling run of ${w.name} never printed its wait line "${w.waitline}" (${ended ?? `exit ${code}`})`);
  }
  if (w.pattern !== 'cmd-arg-wait' && code !== '0') {
    throw new Error(`profiling run of ${w.name} ${code === undefined ? `did not finish (${ended})` : `exited with code ${code}`}: ${workloadLines(output)}`);
  }
}

/** The workload's own last lines, without ctr-remote's log lines. */
const workloadLines = (output: string) => lastLines(output.split('\n').filter((l) => !l.startsWith('time=')).join('\n'), 2, ' / ', 300);
