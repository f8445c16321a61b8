// The table of systems. Adding a system is one file beside this one and one row here (and
// building its tools in scripts/setup.sh); code outside src/systems/ reaches systems through
// this table only (test/unit/seams.test.ts holds that, docs/architecture.md walks through it).
import { UserError } from '../errors.ts';
import type { LabSnapshotter } from '../lab/node.ts';
import { overlaybd } from './overlaybd.ts';
import { nydus } from './nydus.ts';
import { overlayfs } from './overlayfs.ts';
import { soci } from './soci.ts';
import { stargz } from './stargz.ts';
import { FETCH_NOISE, type FetchNoise, type Mode, type SnapshotterSystem } from './system.ts';

export type { FetchNoise, Mode, SnapshotterSystem } from './system.ts';
export { FETCH_NOISE } from './system.ts';

export const SYSTEMS: readonly SnapshotterSystem[] = [overlayfs, stargz, nydus, soci, overlaybd];

/** Every mode, in the order tables and charts list them: the baseline first, then system by system. */
export const MODES: readonly Mode[] = SYSTEMS.flatMap((s) => s.modes);
export const MODE_NAMES = MODES.map((m) => m.name);

/** The mode every speed-up is measured against: the one a system marks as the baseline. */
export const BASELINE: string = MODES.find((m) => m.baseline)!.name;

export function modeByName(name: string): Mode {
  const m = MODES.find((x) => x.name === name);
  if (!m) throw new UserError(`unknown mode "${name}": choose from ${MODE_NAMES.join(', ')}`);
  return m;
}

/** Parses a comma-separated --modes list, keeping the canonical order. */
export function parseModes(list: string): Mode[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UserError('--modes: give at least one mode');
  const wanted = new Set(names.map((n) => modeByName(n).name));
  return MODES.filter((m) => wanted.has(m.name));
}

/** Canonical order of mode names for reports: known modes first in table order, others after. */
export function orderModes(names: readonly string[]): string[] {
  return [...MODE_NAMES.filter((m) => names.includes(m)), ...names.filter((m) => !MODE_NAMES.includes(m))];
}

/** The system a recorded mode belongs to; a mode this hellobench does not know stands alone. */
export function systemOf(mode: string): string {
  return MODES.find((m) => m.name === mode)?.system.name ?? mode;
}

/** What a recorded mode's fetches move by between runs with no change (FETCH_NOISE for a mode this hellobench does not know). */
export function fetchNoiseOf(mode: string): FetchNoise {
  return MODES.find((m) => m.name === mode)?.system.fetchNoise ?? FETCH_NOISE;
}

/** The fetch noise of every system, the common one first: for the text that says how compare judges. */
export function fetchNoises(): { systems: string[]; noise: FetchNoise }[] {
  const own = SYSTEMS.filter((s) => s.fetchNoise && s.modes.length).map((s) => ({ systems: [s.name], noise: s.fetchNoise! }));
  return [{ systems: SYSTEMS.filter((s) => !s.fetchNoise && s.modes.length).map((s) => s.name), noise: FETCH_NOISE }, ...own];
}

/** What the lab runs for a sample of `mode`: its system's snapshotter and daemon. */
export function snapshotterOf(mode: Mode): LabSnapshotter {
  const { system } = mode;
  return { name: system.name, snapshotter: system.snapshotter, ...(system.daemon ? { daemon: (ctx) => system.daemon!(ctx, mode) } : {}) };
}
