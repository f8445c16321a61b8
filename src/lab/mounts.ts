// Mount bookkeeping by path: the lab unmounts whatever lies under its own directory, and
// whatever was built from it elsewhere.
import { readFileSync, rmdirSync } from 'node:fs';
import { execa } from 'execa';
import { tool } from './tools.ts';

export interface MountEntry { target: string; fstype: string; source: string; /** The filesystem's own options (overlay: its layer directories). */ options: string }

/** Mounts of a /proc/PID/mountinfo text (octal escapes decoded). */
export function parseMountinfo(text: string): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [pre, post = ''] = line.split(' - ');
    const target = unescape(pre!.split(' ')[4] ?? '');
    const [fstype = '', source = '', options = ''] = post.split(' ');
    return { target, fstype, source: unescape(source), options: unescape(options) };
  });
}

export const listMounts = () => parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));

export function mountsUnder(dir: string): MountEntry[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return listMounts().filter((m) => m.target === dir || m.target.startsWith(prefix));
}

/**
 * Mounts built from `dir` but mounted outside it: an overlay whose layers are the lab's
 * snapshots. `ctr-remote image optimize` mounts the image so at a /tmp/target* of its own, and
 * leaves it there when it is killed.
 */
export function mountsBuiltFrom(dir: string, mounts = listMounts()): MountEntry[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mounts.filter((m) => !(m.target === dir || m.target.startsWith(prefix)) && m.options.split(/[,:=]/).some((p) => p.startsWith(prefix)));
}

/** Unmounts `targets`, lazily when one is busy; the failures, one line each. */
export async function unmount(targets: string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const t of targets) {
    const r = await execa(tool('umount'), [t], { reject: false });
    if (r.exitCode !== 0) {
      const lazy = await execa(tool('umount'), ['-l', t], { reject: false });
      if (lazy.exitCode !== 0) failed.push(`${t}: ${lazy.stderr.trim()}`);
    }
  }
  return failed;
}

/**
 * Unmounts everything under `dir`, deepest first, and what was built from it elsewhere (whose
 * mount points, left empty, are removed); lazily when a mount is busy.
 */
export async function unmountUnder(dir: string): Promise<string[]> {
  const elsewhere = [...new Set(mountsBuiltFrom(dir).map((m) => m.target))];
  const failed = await unmount(elsewhere);
  for (const t of elsewhere) {
    try { rmdirSync(t); } catch { /* not empty, or gone */ }
  }
  const targets = [...new Set(mountsUnder(dir).map((m) => m.target))].sort((a, b) => b.length - a.length);
  return [...failed, ...await unmount(targets)];
}
