// Mount bookkeeping by path: the lab unmounts whatever lies under its own directory.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { tool } from './tools.ts';

export interface MountEntry { target: string; fstype: string; source: string }

/** Mounts from /proc/self/mountinfo (octal escapes decoded). */
export function listMounts(): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => {
    const [pre, post = ''] = line.split(' - ');
    const target = unescape(pre!.split(' ')[4] ?? '');
    const [fstype = '', source = ''] = post.split(' ');
    return { target, fstype, source: unescape(source) };
  });
}

export function mountsUnder(dir: string): MountEntry[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return listMounts().filter((m) => m.target === dir || m.target.startsWith(prefix));
}

/** Unmounts everything under `dir`, deepest first; lazily when a mount is busy. */
export async function unmountUnder(dir: string): Promise<string[]> {
  const targets = [...new Set(mountsUnder(dir).map((m) => m.target))].sort((a, b) => b.length - a.length);
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
