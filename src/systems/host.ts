// Host facts systems depend on: kernel filesystems and config options, FUSE, and the
// FUSE mounts that prove a pull was lazy.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { mountsUnder } from '../lab/mounts.ts';
import type { HostCheck, LazyProof } from './system.ts';

function kernelHasFs(fs: string): boolean {
  return readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => l.trim().split(/\s+/).pop() === fs);
}

let config: Map<string, string> | null | undefined;

/** The running kernel's build options (/proc/config.gz or /boot/config-RELEASE); null when neither exists. */
export function kernelConfig(): Map<string, string> | null {
  if (config !== undefined) return config;
  let text: string | null = null;
  try {
    text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    try { text = readFileSync(`/boot/config-${release()}`, 'utf8'); } catch { /* none */ }
  }
  config = text === null ? null : new Map(text.split('\n').map((l) => /^(CONFIG_\w+)=(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));
  return config;
}

/** 'y' (built in), 'm' (module), 'n' (not set) or 'unknown' (no config to read). */
export function kernelOption(name: string): 'y' | 'm' | 'n' | 'unknown' {
  const c = kernelConfig();
  if (!c) return 'unknown';
  const v = c.get(name);
  return v === 'y' || v === 'm' ? v : 'n';
}

export function fuseCheck(): HostCheck {
  const ok = kernelHasFs('fuse') && existsSync('/dev/fuse');
  return { what: 'FUSE', ...(ok ? {} : { problem: 'no FUSE: modprobe fuse (lazy systems mount layers through /dev/fuse)' }) };
}

export function overlayCheck(): HostCheck {
  return { what: 'overlayfs', ...(kernelHasFs('overlay') ? {} : { problem: 'no overlayfs: modprobe overlay' }) };
}

/**
 * Lazy proof by FUSE mounts under a system's state directory: at least `expected` of them
 * (one per layer for systems that mount layers; fewer means layers were pulled whole).
 */
export function fuseProof(dir: string, who: string, expected = 1): LazyProof {
  const mounts = mountsUnder(dir).filter((m) => m.fstype.startsWith('fuse')).length;
  if (mounts >= expected) return { mounts };
  return { mounts, problem: mounts === 0 ? `no layer was mounted lazily (${who} holds no FUSE mount)` : `only ${mounts} of ${expected} layers were mounted lazily by ${who}; the others were pulled whole` };
}
