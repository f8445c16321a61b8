// Finds the binaries the lab drives and reads their versions. The project's own
// bin directory comes first so pinned builds win over whatever the system has.
import { UserError } from '../errors.ts';
import { accessSync, constants, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN_DIR } from '../paths.ts';

/** A binary hellobench drives: how to get it when it is missing, and how it tells its version. */
export interface Tool {
  /** Its file name in the project's bin directory or on PATH (a sub-path for builds kept apart). */
  name: string;
  /** What to do when it is missing, as one clause ("run scripts/setup.sh (...)"). */
  how: string;
  /** Arguments that print its version on the first line; absent: it has none worth recording. */
  version?: string[];
}

const setup = (what: string) => `run scripts/setup.sh (${what})`;
const V = ['--version'];

/** The lab's own binaries; systems and runtimes declare theirs beside their code (their `tools`). */
const LAB_TOOLS = {
  'containerd': { how: setup('Debian package containerd'), version: V },
  'ctr': { how: setup('Debian package containerd'), version: V },
  'runc': { how: setup('Debian package runc'), version: V },
  'containerd-shim-runc-v2': { how: setup('Debian package containerd') },
  'containerd2/containerd': { how: `${setup('builds containerd 2 from the Go module proxy')}, or choose --containerd 1.6`, version: V },
  'containerd2/ctr': { how: `${setup('builds containerd 2 from the Go module proxy')}, or choose --containerd 1.6`, version: V },
  'containerd2/containerd-shim-runc-v2': { how: `${setup('builds containerd 2 from the Go module proxy')}, or choose --containerd 1.6` },
  'docker-registry': { how: setup('Debian package docker-registry'), version: V },
  'skopeo': { how: setup('Debian package skopeo'), version: V },
  'umoci': { how: setup('Debian package umoci'), version: V },
  'busybox': { how: setup('Debian package busybox-static') },
  'umount': { how: 'install the Debian package mount' },
  'ip': { how: setup('Debian package iproute2') },
  'tc': { how: setup('Debian package iproute2') },
  'delay-line': { how: setup('builds it from tools/delay-line') },
} satisfies Record<string, Omit<Tool, 'name'>>;

export type LabToolName = keyof typeof LAB_TOOLS;

const specOf = (t: Tool | LabToolName): Tool => (typeof t === 'string' ? { name: t, ...LAB_TOOLS[t] } : t);

export class MissingToolError extends UserError {}

const SEARCH = [BIN_DIR, ...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin'];
const cache = new Map<string, string>();

/** Absolute path of a tool, or a MissingToolError saying how to get it. */
export function tool(t: Tool | LabToolName): string {
  const { name, how } = specOf(t);
  const hit = cache.get(name);
  if (hit) return hit;
  for (const dir of SEARCH) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      cache.set(name, p);
      return p;
    } catch { /* next */ }
  }
  throw new MissingToolError(`missing binary ${name}: ${how}`);
}

/**
 * First line of `TOOL --version`, plus the Debian package version for packaged tools
 * (ctr-remote, for one, reports only the containerd library it was built with).
 */
export function toolVersion(t: Tool | LabToolName): Promise<string> {
  const spec = specOf(t);
  // Asked once per tool and process: conversion keys ask for every image, run.json once more.
  let v = versions.get(spec.name);
  if (!v) versions.set(spec.name, (v = readToolVersion(spec)));
  return v;
}

const versions = new Map<string, Promise<string>>();

async function readToolVersion(spec: Tool): Promise<string> {
  const args = spec.version;
  if (!args) return 'n/a';
  try {
    const path = tool(spec);
    const r = await execa(path, args, { reject: false, timeout: 10_000, all: true });
    const own = (r.all ?? '').split('\n')[0]?.trim() || `exit ${r.exitCode}`;
    // Crates built by scripts/setup.sh live in HOME/opt/<crate>-<version>: their own --version may say "unknown".
    const crate = /\/opt\/([a-z][a-z0-9_-]*)-(\d[\w.+-]*)\/bin\//.exec(realpathSync(path));
    if (crate) return `${own} [crates.io ${crate[1]} ${crate[2]}]`;
    const owner = await execa('dpkg-query', ['-S', path], { reject: false });
    const pkg = owner.exitCode === 0 ? owner.stdout.split(':')[0]!.trim() : '';
    if (!pkg) return own;
    const v = await execa('dpkg-query', ['-W', '-f', '${Version}', pkg], { reject: false });
    return `${own} [Debian ${pkg} ${v.stdout.trim()}]`;
  } catch (err) {
    return `unavailable (${(err as Error).message})`;
  }
}
