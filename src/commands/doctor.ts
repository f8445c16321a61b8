// doctor: says, component by component, whether the lab can run here and what to do if not.
import { existsSync, readFileSync } from 'node:fs';
import { ALL_TOOLS, MissingToolError, tool, toolVersion } from '../lab/tools.ts';

interface Check { what: string; ok: boolean; detail: string }

function kernelHas(fs: string): boolean {
  return readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => l.trim().split(/\s+/).pop() === fs);
}

export async function doctorCommand(): Promise<number> {
  const checks: Check[] = [];
  const root = process.getuid?.() === 0;
  checks.push({ what: 'root', ok: root, detail: root ? 'running as root' : 'the lab needs root: run hellobench with sudo' });
  for (const name of ALL_TOOLS) {
    try {
      const path = tool(name);
      checks.push({ what: name, ok: true, detail: `${path} ${await toolVersion(name)}`.trim() });
    } catch (err) {
      checks.push({ what: name, ok: false, detail: err instanceof MissingToolError ? err.message : String(err) });
    }
  }
  checks.push({ what: 'overlayfs', ok: kernelHas('overlay'), detail: kernelHas('overlay') ? 'kernel has overlay' : 'modprobe overlay (the legacy mode needs it)' });
  const fuse = kernelHas('fuse') && existsSync('/dev/fuse');
  checks.push({ what: 'fuse', ok: fuse, detail: fuse ? '/dev/fuse present' : 'modprobe fuse; the lazy modes need /dev/fuse' });
  for (const c of checks) process.stdout.write(`${c.ok ? 'ok     ' : 'MISSING'} ${c.what.padEnd(24)} ${c.detail}\n`);
  const missing = checks.filter((c) => !c.ok).length;
  process.stdout.write(missing ? `${missing} problem(s): fix them (most by running scripts/setup.sh) and run doctor again\n` : 'all components present\n');
  return missing ? 1 : 0;
}
