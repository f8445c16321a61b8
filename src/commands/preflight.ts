// preflight: what the lab needs of this kernel and machine, in seconds, before any tool is
// built: one line per piece, MISSING ones saying what to do, and exit 1 if any is missing.
import { randomBytes } from 'node:crypto';
import { statfsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { hostCgroups } from '../lab/cgroups.ts';
import { ownerAlive } from '../lab/cleanup.ts';
import { CONTAINERDS } from '../lab/containerd.ts';
import { diskNeeds, storedImages } from '../lab/disk.ts';
import { listMounts } from '../lab/mounts.ts';
import { preflight, type Finding, type PreflightEnv } from '../lab/preflight.ts';
import { tool, type LabToolName, type Tool } from '../lab/tools.ts';
import { HOME, LAB_BASE, REGISTRY_STORE } from '../paths.ts';
import { RUNTIMES } from '../runtimes/index.ts';
import { SYSTEMS } from '../systems/index.ts';
import { select, type SelectionOptions } from './common.ts';
import { parseShard, shardOf } from './shard.ts';

/** A tool's path, or its bare name when absent: the check that runs it then reports it missing. */
function toolOr(t: Tool | LabToolName): string {
  const name = typeof t === 'string' ? t : t.name;
  try { return tool(t); } catch { return name; }
}

/** Whether scripts/setup.sh still has a tool to build (or install): then its build needs disk too. */
function toolsMissing(): boolean {
  const tools: (Tool | LabToolName)[] = ['delay-line', ...SYSTEMS.flatMap((s) => s.tools), ...RUNTIMES.flatMap((r) => r.tools),
    ...Object.values(CONTAINERDS).flatMap((c) => [c.containerd, c.ctr, c.shim])];
  return tools.some((t) => toolOr(t) === (typeof t === 'string' ? t : t.name));
}

export function hostEnv(opts: SelectionOptions & { shard?: string }): PreflightEnv {
  const { workloads: selected, modes } = select(opts, true);
  // A shard's runner needs disk for its own share only.
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard, selected.length);
  const workloads = shard ? shardOf(selected, shard.index, shard.count) : selected;
  return {
    fuseDevice: '/dev/fuse',
    // Overridable so the end-to-end test can show a missing device on a machine that has it.
    tunDevice: process.env.HELLOBENCH_TUN_DEVICE ?? '/dev/net/tun',
    ip: toolOr('ip'),
    tc: toolOr('tc'),
    mount: 'mount',
    umount: toolOr('umount'),
    stateDir: LAB_BASE,
    cgroups: hostCgroups,
    space: (path) => {
      const s = statfsSync(path);
      return { free: s.bavail * s.bsize, device: statSync(path).dev };
    },
    needs: diskNeeds({ workloads, modes, stored: (name) => storedImages(REGISTRY_STORE, name), toolsMissing: toolsMissing() }, { cache: HOME, state: LAB_BASE, buildHome: homedir() }),
    id: `${process.pid}-${randomBytes(3).toString('hex')}`,
    alive: ownerAlive,
    mounts: listMounts,
  };
}

const STATUS = (f: Finding) => (f.ok === true ? 'ok' : f.ok === false ? 'MISSING' : '-');

export function formatFinding(f: Finding): string {
  return `${STATUS(f).padEnd(7)} ${f.piece.padEnd(8)} ${f.detail}`;
}

type Write = (text: string) => void;

export async function preflightCommand(opts: SelectionOptions & { shard?: string }, env?: PreflightEnv, write: Write = (t) => process.stdout.write(t)): Promise<number> {
  const started = performance.now();
  const findings = await preflight(env ?? hostEnv(opts));
  for (const f of findings) write(`${formatFinding(f)}\n`);
  const lacking = [...new Set(findings.filter((f) => f.ok === false).map((f) => f.piece))];
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  write(lacking.length
    ? `preflight: missing ${lacking.join(', ')}: the lab cannot run here until each line above is fixed (${seconds} s)\n`
    : `preflight: everything the lab needs is here (${seconds} s)\n`);
  return lacking.length ? 1 : 0;
}
