// What a run records about where it ran, read once at its start: the versions of everything
// it drives, the machine, and the checkout's commit. Reports read them from run.json and
// never look at the machine themselves.
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { cgroupDriver, hostCgroups } from '../lab/cgroups.ts';
import type { ContainerdBuild } from '../lab/containerd.ts';
import { toolVersion, type LabToolName, type Tool } from '../lab/tools.ts';
import type { HostInfo } from '../results/metadata.ts';
import type { ContainerRuntime } from '../runtimes/index.ts';
import type { Mode } from '../systems/index.ts';
import { LAB_BASE, PROJECT_ROOT } from '../paths.ts';

/** Versions of hellobench and of every component the run drives: its containerd and its modes' systems. */
export async function collectVersions(containerd: ContainerdBuild, modes: readonly Mode[], runtime: ContainerRuntime): Promise<Record<string, string>> {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  const out: Record<string, string> = { hellobench: pkg.version, node: process.version };
  const tools: [string, Tool | LabToolName][] = [['containerd', containerd.containerd], ['ctr', containerd.ctr], ['runc', 'runc'],
    ['docker-registry', 'docker-registry'], ['skopeo', 'skopeo'], ['umoci', 'umoci'],
    ...[...new Set([...runtime.tools, ...modes.flatMap((m) => m.system.tools)])].map((t) => [t.name, t] as [string, Tool])];
  for (const [key, t] of tools) {
    const v = await toolVersion(t);
    if (v !== 'n/a') out[key] = v;
  }
  // What the runtime drives besides its tools (the pods' CNI plugins).
  Object.assign(out, await runtime.versions?.());
  return out;
}

/** Called once, at run start: reports describe the machine from run.json and never look at it. */
export function hostInfo(): HostInfo {
  // GitHub names its runners; elsewhere the host name says which machine measured.
  const runner = process.env.RUNNER_NAME || hostname();
  const cg = hostCgroups();
  return {
    kernel: release(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gib: Math.round(totalmem() / 2 ** 30), runner,
    cgroup: { mode: cg.mode, driver: cgroupDriver(cg) }, disk_gib: diskGib(LAB_BASE),
  };
}

const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;

/** Size and free space (to an unprivileged user: root's reserve left out) of the filesystem that holds `path`, or will. */
export function diskGib(path: string): { total: number; free: number } {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const s = statfsSync(p);
  return { total: gib(s.blocks * s.bsize), free: gib(s.bavail * s.bsize) };
}


/** The commit of the checkout that runs, for the history; undefined outside a git checkout. */
export async function currentCommit(): Promise<string | undefined> {
  if (process.env.GITHUB_SHA) return process.env.GITHUB_SHA;
  const r = await execa('git', ['-C', PROJECT_ROOT, 'rev-parse', 'HEAD'], { reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}
