// A mode is data: how its image is derived from the original, how it is pulled,
// which snapshotter serves it, and whether the snapshotter prefetches.
export type ModeName = 'legacy' | 'estargz-noopt' | 'estargz' | 'zstdchunked';

export interface Mode {
  name: ModeName;
  /** Tag suffix of this mode's image, as upstream names them. */
  tag: string;
  /** How the image is derived from the original: none, or ctr-remote optimize flags. */
  convert: null | { optimizeFlags: string[]; profile: boolean };
  /** containerd snapshotter that serves the container's rootfs. */
  snapshotter: 'overlayfs' | 'stargz';
  /** Lazy modes are pulled with `ctr-remote image rpull` and must mount layers over FUSE. */
  lazy: boolean;
  /** Value of the stargz snapshotter's `noprefetch` for this mode (irrelevant for overlayfs). */
  prefetch: boolean;
}

export const MODES: readonly Mode[] = [
  { name: 'legacy', tag: 'org', convert: null, snapshotter: 'overlayfs', lazy: false, prefetch: false },
  { name: 'estargz-noopt', tag: 'esgz-noopt', convert: { optimizeFlags: ['--no-optimize'], profile: false }, snapshotter: 'stargz', lazy: true, prefetch: false },
  { name: 'estargz', tag: 'esgz', convert: { optimizeFlags: [], profile: true }, snapshotter: 'stargz', lazy: true, prefetch: true },
  { name: 'zstdchunked', tag: 'zstdchunked', convert: { optimizeFlags: ['--zstdchunked'], profile: true }, snapshotter: 'stargz', lazy: true, prefetch: true },
];

export const MODE_NAMES = MODES.map((m) => m.name);

export function modeByName(name: string): Mode {
  const m = MODES.find((x) => x.name === name);
  if (!m) throw new Error(`unknown mode "${name}": choose from ${MODE_NAMES.join(', ')}`);
  return m;
}

/** Parses a comma-separated --modes list, keeping the canonical order. */
export function parseModes(list: string): Mode[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new Error('--modes: give at least one mode');
  const wanted = new Set(names.map((n) => modeByName(n).name));
  return MODES.filter((m) => wanted.has(m.name));
}
