// Runs the real CLI and inspects what the lab left on the machine.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Sample } from '../../src/results/sample.ts';
import { CNI_BRIDGE, CNI_NETWORK } from '../../src/runtimes/cri-node.ts';
import { listMounts } from '../../src/lab/mounts.ts';
import { CGROUP_NAME, hostCgroups } from '../../src/lab/cgroups.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const LAB_BASE = process.env.HELLOBENCH_LAB_BASE ?? '/var/lib/hellobench';

export function cli(args: string[], opts: { detached?: boolean } = {}): ResultPromise<{ reject: false; all: true; cwd: string; detached: boolean }> {
  return execa(join(ROOT, 'bin/hellobench'), args, { reject: false, all: true, cwd: ROOT, detached: opts.detached ?? false });
}

export function readSamples(dir: string): Sample[] {
  const text = readFileSync(join(dir, 'samples.jsonl'), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample);
}

/** Every live process and its command line, arguments joined by spaces. */
export function commandLines(): [number, string][] {
  const out: [number, string][] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      out.push([Number(pid), readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')]);
    } catch { /* exited */ }
  }
  return out;
}

/** Everything a lab could leave behind: processes, mounts, directories. Empty when clean. */
export function leftovers(): string[] {
  const out: string[] = [];
  for (const [pid, cmd] of commandLines()) if (cmd.includes(`${LAB_BASE}/lab-`)) out.push(`process ${pid}: ${cmd.slice(0, 120)}`);
  // A mount under a lab, or built from a lab's layers elsewhere (ctr-remote's /tmp/target*).
  for (const m of listMounts()) if (m.target.startsWith(LAB_BASE) || m.options.includes(`${LAB_BASE}/`)) out.push(`mount ${m.target}`);
  if (existsSync(LAB_BASE)) for (const d of readdirSync(LAB_BASE)) if (d.startsWith('lab-')) out.push(`directory ${join(LAB_BASE, d)}`);
  if (existsSync('/run/netns')) for (const ns of readdirSync('/run/netns')) if (ns.startsWith('hellobench-')) out.push(`network namespace ${ns}`);
  for (const dev of readdirSync('/sys/class/net')) if (/^hbt?[hn]\d+$/.test(dev) || dev === CNI_BRIDGE) out.push(`interface ${dev}`);
  // The CRI runtime's pods: libcni's cached attachments of our network (their veths and
  // addresses live in namespaces and directories checked above).
  const cache = '/var/lib/cni/results';
  if (existsSync(cache)) for (const f of readdirSync(cache)) if (f.startsWith(`${CNI_NETWORK}-`)) out.push(`CNI result ${f}`);
  // The cgroup hellobench moves itself into while its lab is open (src/lab/accounting.ts).
  const cg = hostCgroups();
  for (const h of new Set([cg.accounting, cg.unified])) {
    const parent = h && join(h, CGROUP_NAME);
    if (parent && existsSync(parent)) for (const d of readdirSync(parent)) if (d.startsWith('lab-')) out.push(`cgroup ${join(parent, d)}`);
  }
  return out;
}
