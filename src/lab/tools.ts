// Finds the binaries the lab drives and reads their versions. The project's own
// bin directory comes first so pinned builds win over whatever the system has.
import { UserError } from '../errors.ts';
import { accessSync, constants, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN_DIR } from '../paths.ts';

export type ToolName =
  | 'containerd' | 'ctr' | 'runc' | 'containerd-shim-runc-v2'
  | 'containerd2/containerd' | 'containerd2/ctr' | 'containerd2/containerd-shim-runc-v2'
  | 'ctr-remote' | 'containerd-stargz-grpc'
  | 'soci-snapshotter-grpc' | 'soci-index'
  | 'containerd-nydus-grpc' | 'nydus-convert' | 'nydusd' | 'nydus-image' | 'nydusd-wrapper' | 'nydus-image-wrapper'
  | 'docker-registry' | 'skopeo' | 'umoci' | 'busybox' | 'umount' | 'ip' | 'tc' | 'delay-line'
  | 'crictl' | 'pause';

/** How to get each tool when it is missing. */
const HOW: Record<ToolName, string> = {
  'containerd': 'run scripts/setup.sh (Debian package containerd)',
  'ctr': 'run scripts/setup.sh (Debian package containerd)',
  'runc': 'run scripts/setup.sh (Debian package runc)',
  'containerd-shim-runc-v2': 'run scripts/setup.sh (Debian package containerd)',
  'containerd2/containerd': 'run scripts/setup.sh (builds containerd 2 from the Go module proxy), or choose --containerd 1.6',
  'containerd2/ctr': 'run scripts/setup.sh (builds containerd 2 from the Go module proxy), or choose --containerd 1.6',
  'containerd2/containerd-shim-runc-v2': 'run scripts/setup.sh (builds containerd 2 from the Go module proxy), or choose --containerd 1.6',
  'ctr-remote': 'run scripts/setup.sh (Debian package stargz-snapshotter)',
  'soci-snapshotter-grpc': 'run scripts/setup.sh (builds the SOCI snapshotter from the Go module proxy)',
  'soci-index': 'run scripts/setup.sh (builds the SOCI index builder from the Go module proxy)',
  'containerd-nydus-grpc': 'run scripts/setup.sh (builds the Nydus snapshotter from the Go module proxy)',
  'nydus-convert': 'run scripts/setup.sh (builds the Nydus converter from the Go module proxy)',
  'nydusd': 'run scripts/setup.sh (builds nydus-rs from crates.io)',
  'nydus-image': 'run scripts/setup.sh (builds nydus-rs from crates.io)',
  'nydusd-wrapper': 'run scripts/setup.sh (builds the nydusd wrapper)',
  'nydus-image-wrapper': 'run scripts/setup.sh (builds the nydus-image wrapper)',
  'containerd-stargz-grpc': 'run scripts/setup.sh (builds it from the Go module proxy into .hellobench/bin)',
  'docker-registry': 'run scripts/setup.sh (Debian package docker-registry)',
  'skopeo': 'run scripts/setup.sh (Debian package skopeo)',
  'umoci': 'run scripts/setup.sh (Debian package umoci)',
  'busybox': 'run scripts/setup.sh (Debian package busybox-static)',
  'umount': 'install the Debian package mount',
  'ip': 'run scripts/setup.sh (Debian package iproute2)',
  'tc': 'run scripts/setup.sh (Debian package iproute2)',
  'delay-line': 'run scripts/setup.sh (builds it from tools/delay-line)',
  'crictl': 'run scripts/setup.sh (builds crictl from the Go module proxy)',
  'pause': 'run scripts/setup.sh (builds the pods\' pause binary from tools/pause)',
};

export class MissingToolError extends UserError {}

const SEARCH = [BIN_DIR, ...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin'];
const cache = new Map<ToolName, string>();

/** Absolute path of a tool, or a MissingToolError saying how to get it. */
export function tool(name: ToolName): string {
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
  throw new MissingToolError(`missing binary ${name}: ${HOW[name]}`);
}

const VERSION_ARGS: Partial<Record<ToolName, string[]>> = {
  'containerd': ['--version'], 'ctr': ['--version'], 'runc': ['--version'], 'ctr-remote': ['--version'],
  'docker-registry': ['--version'], 'skopeo': ['--version'], 'umoci': ['--version'],
  'containerd-stargz-grpc': ['--version'],
  'containerd2/containerd': ['--version'], 'containerd2/ctr': ['--version'],
  'soci-snapshotter-grpc': ['--version'], 'soci-index': ['--version'],
  'containerd-nydus-grpc': ['--version'], 'nydus-convert': ['--version'], 'nydusd': ['--version'], 'nydus-image': ['--version'],
  'crictl': ['--version'],
};

/**
 * First line of `TOOL --version`, plus the Debian package version for packaged tools
 * (ctr-remote, for one, reports only the containerd library it was built with).
 */
export function toolVersion(name: ToolName): Promise<string> {
  // Asked once per tool and process: conversion keys ask for every image, run.json once more.
  let v = versions.get(name);
  if (!v) versions.set(name, (v = readToolVersion(name)));
  return v;
}

const versions = new Map<ToolName, Promise<string>>();

async function readToolVersion(name: ToolName): Promise<string> {
  const args = VERSION_ARGS[name];
  if (!args) return 'n/a';
  try {
    const path = tool(name);
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
