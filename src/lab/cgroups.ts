// The host's cgroup layout (v1, hybrid or unified v2), read from /proc/self/mountinfo, and the
// cgroup settings the lab gives runc because of it: explicit, so that a v2 runner and this v1
// machine run containers the same way by construction, not by containerd's defaults.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LabError } from './errors.ts';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

export interface CgroupLayout {
  mode: CgroupMode;
  /** Mount point of the unified hierarchy (v2) or the directory holding the v1 hierarchies. */
  root: string;
  /** v2: cgroup.controllers of the root; v1 and hybrid: the controllers of the mounted v1 hierarchies. */
  controllers: string[];
  /** systemd is init and reachable (/run/systemd/system exists). */
  systemd: boolean;
  /** The hierarchy that accounts CPU time per cgroup: the v2 root, or v1's cpuacct mount. */
  accounting?: string;
  /** The unified hierarchy, which keeps pressure (PSI) per cgroup: the v2 root, or hybrid's cgroup2 mount. */
  unified?: string;
}

export type CgroupDriver = 'cgroupfs' | 'systemd';

interface Mount { point: string; fstype: string; options: string[] }

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** One mount per line: `id parent maj:min root point opts [optional...] - fstype source superopts`. */
function parseMounts(mountinfo: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.trim().split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 7 || dash < 0 || !f[4] || !f[dash + 1]) continue;
    mounts.push({ point: unescape(f[4]), fstype: f[dash + 1]!, options: (f[dash + 3] ?? '').split(',') });
  }
  return mounts;
}

/** Super options of a v1 cgroup mount that are not controllers. */
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'none', 'noprefix', 'clone_children', 'xattr', 'cpuset_v2_mode', 'favordynmods', '']);

function readOrUndefined(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}

/**
 * The cgroup layout a mountinfo text shows: v1 controllers mounted make it v1 (hybrid when a
 * cgroup2 hierarchy is mounted beside them, as runc then still uses v1); a cgroup2 mount alone makes it v2.
 */
export function parseCgroupLayout(
  mountinfo: string,
  read: (path: string) => string | undefined = readOrUndefined,
  exists: (path: string) => boolean = existsSync,
): CgroupLayout {
  const mounts = parseMounts(mountinfo);
  const systemd = exists('/run/systemd/system');
  const v1 = mounts.filter((m) => m.fstype === 'cgroup')
    .map((m) => ({ point: m.point, controllers: m.options.filter((o) => !NOT_CONTROLLERS.has(o) && !o.includes('=')) }))
    .filter((m) => m.controllers.length > 0);
  const unified = mounts.filter((m) => m.fstype === 'cgroup2');
  if (v1.length) {
    const cpuacct = v1.find((m) => m.controllers.includes('cpuacct'));
    return {
      mode: unified.length ? 'hybrid' : 'v1',
      root: dirname(v1[0]!.point),
      controllers: [...new Set(v1.flatMap((m) => m.controllers))].sort(),
      systemd,
      ...(cpuacct ? { accounting: cpuacct.point } : {}),
      ...(unified[0] ? { unified: unified[0].point } : {}),
    };
  }
  const u = unified.find((m) => m.point === '/sys/fs/cgroup') ?? unified[0];
  if (!u) throw new LabError('no cgroup hierarchy is mounted (/proc/self/mountinfo lists none): mount cgroup2 at /sys/fs/cgroup, or run the container with --cgroupns=host');
  const controllers = (read(join(u.point, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean).sort();
  return { mode: 'v2', root: u.point, controllers, systemd, accounting: u.point, unified: u.point };
}

let host: CgroupLayout | undefined;

/** This machine's layout, read once. */
export function hostCgroups(): CgroupLayout {
  host ??= parseCgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8'));
  return host;
}

/**
 * cgroupfs on every layout: runc drives it itself on v1 and v2 alike, whereas the systemd driver
 * needs a reachable systemd (none in a CI job container) and adds a D-Bus call to each timed start.
 */
export function cgroupDriver(_layout: CgroupLayout): CgroupDriver {
  return 'cgroupfs';
}

/** The name of the lab's parent cgroup (one lab per machine); also ctr's namespace, as `ctr container create` puts containers at /<namespace>/<id>. */
export const CGROUP_NAME = 'hellobench';

/** What runc is told, whatever containerd's defaults. */
export interface RuncCgroups {
  driver: CgroupDriver;
  /** runc options' SystemdCgroup (containerd's CRI runtime and ctr's --runc-systemd-cgroup). */
  systemdCgroup: boolean;
  /**
   * The pods' cgroup parent, in the driver's form: a path from the hierarchy's root for cgroupfs
   * (off the root, as on v2 a cgroup holding processes, like a job container's, cannot get children
   * with controllers), a slice name for systemd.
   */
  parent: string;
}

export function runcCgroups(layout: CgroupLayout): RuncCgroups {
  const driver = cgroupDriver(layout);
  return { driver, systemdCgroup: driver === 'systemd', parent: driver === 'systemd' ? `${CGROUP_NAME}.slice` : `/${CGROUP_NAME}` };
}
