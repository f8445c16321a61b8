// How much disk a selection needs and on which filesystem, estimated before anything is built:
// the registry store and build scratch under the cache, the lab's containerd (content and
// unpacked snapshots) under the state volume, Go's and cargo's caches under the home directory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSize, type Workload } from '../catalog/schema.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * Sizes used where nothing is measured on this machine (a registry store under the cache gives
 * measured ones). Conservative on purpose: a preflight that passes must not run out of disk later.
 */
export const ESTIMATE = {
  /**
   * A Debian-built image, compressed. The default run on this machine kind (docs/results/2026-12-07-default-wan.md) measured
   * python 81 MB, gcc 143 MB, postgres 175 MB, tomcat 173 MB and nodejs 100 MB; 256 MiB is above all.
   */
  debianCompressed: 256 * MiB,
  /** A `ref:` image, compressed: not measured here (no source registry); most of upstream HelloBench's list is below it. */
  refCompressed: 512 * MiB,
  /** busybox-static, its links and the image's directories, under a busybox build's filler files. */
  busyboxBase: 4 * MiB,
  /** Unpacked / compressed: lab-notes measured python's root as a 216 MB tar for 81 MB compressed (2.7x). */
  unpackRatio: 3,
  /** A converted image against its original (a seekable format adds a table of contents and chunk boundaries; an index alone is far smaller). */
  convertedRatio: 1.2,
  /** The minbase tar and the shared .deb cache under cache/, once for all Debian builds. */
  debianShared: 1 * GiB,
  /** prepare builds up to this many images at once (its p-limit), each with its own scratch. */
  parallelBuilds: 4,
  /**
   * The tools build, measured here after scripts/setup.sh from nothing: Go's module cache 1.3 GiB
   * and build cache 1.6 GiB, cargo's registry 0.2 GiB, the built tools 0.3 GiB; cargo's
   * target directory for the Rust tools (deleted after install, not measured) taken as 1.5 GiB.
   */
  toolsBuild: 5 * GiB,
  /** Daemons' state, logs and results beside the images. */
  slack: 512 * MiB,
} as const;

/** One image's size: compressed (what the registry stores and a pull fetches), unpacked, and whether measured here. */
export interface ImageSize { compressed: number; unpacked: number; measured: boolean }

/** What the registry store under the cache already holds for one workload (repository hellobench/<name>). */
export interface StoredImages {
  /** Compressed size of the largest original (tag org-*), if any is stored. */
  original?: number;
  /** Compressed size of the largest image per tag prefix (a mode's tag), converted ones. */
  converted: Record<string, number>;
}

const readJson = (file: string): { layers?: { size: number }[]; manifests?: { digest: string }[] } | undefined => {
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return undefined; }
};

/** Reads the registry's own on-disk layout (distribution v2's filesystem driver): no registry need run. */
export function storedImages(store: string, workload: string): StoredImages {
  const v2 = join(store, 'docker/registry/v2');
  const blob = (digest: string) => {
    const [algo, hex] = digest.split(':') as [string, string];
    return join(v2, 'blobs', algo, hex.slice(0, 2), hex, 'data');
  };
  const tagsDir = join(v2, 'repositories/hellobench', workload, '_manifests/tags');
  const out: StoredImages = { converted: {} };
  let tags: string[];
  try { tags = readdirSync(tagsDir); } catch { return out; }
  for (const tag of tags) {
    let digest: string;
    try { digest = readFileSync(join(tagsDir, tag, 'current/link'), 'utf8').trim(); } catch { continue; }
    let m = readJson(blob(digest));
    if (m?.manifests?.length) m = readJson(blob(m.manifests[0]!.digest));
    if (!m?.layers) continue;
    const size = m.layers.reduce((s, l) => s + l.size, 0);
    const prefix = tag.replace(/-[0-9a-f]{12}$/, '');
    if (prefix === 'org') out.original = Math.max(out.original ?? 0, size);
    else out.converted[prefix] = Math.max(out.converted[prefix] ?? 0, size);
  }
  return out;
}

/** The compressed size of a workload's original image: measured when stored, else from its recipe. */
export function originalSize(w: Workload, stored: StoredImages): ImageSize {
  const spec = w.image;
  if ('build' in spec && spec.build.base === 'busybox') {
    // Filler is incompressible by construction: compressed, it is as large as unpacked.
    const size = stored.original ?? ESTIMATE.busyboxBase + spec.build.layers.flatMap((l) => l.files).reduce((s, f) => s + parseSize(f.size), 0);
    return { compressed: size, unpacked: size, measured: stored.original !== undefined };
  }
  const compressed = stored.original ?? ('build' in spec ? ESTIMATE.debianCompressed : ESTIMATE.refCompressed);
  return { compressed, unpacked: compressed * ESTIMATE.unpackRatio, measured: stored.original !== undefined };
}

/** Bytes needed under one directory, what for, and how the figure was come by. */
export interface DiskNeed { what: string; path: string; bytes: number; note?: string }

export interface DiskPlaces {
  /** HOME of paths.ts: the registry store, build scratch and the built tools. */
  cache: string;
  /** LAB_BASE: the labs' containerd roots and snapshotter state. */
  state: string;
  /** Where Go's and cargo's caches go when the tools are built (the user's home directory). */
  buildHome: string;
}

export interface DiskInput {
  workloads: readonly Workload[];
  /** The selected modes (src/systems/): those that convert add an image per workload. */
  modes: readonly { tag: string; system: { convert?: unknown } }[];
  /** What the store holds per workload name. */
  stored: (workload: string) => StoredImages;
  /** Whether some built tool is missing, so setup.sh will build them. */
  toolsMissing: boolean;
}

/**
 * The bytes a selection still needs per place. A workload whose original and every selected
 * converted mode are stored counts as prepared: tags carry hashes that only apt can resolve (too
 * slow for a preflight), so a recipe changed since is under-counted by its one rebuild.
 */
export function diskNeeds(input: DiskInput, places: DiskPlaces): DiskNeed[] {
  const converting = input.modes.filter((m) => m.system.convert);
  let store = 0;
  let state = 0;
  let largestPull = 0;
  const scratch: number[] = [];
  let debian = false;
  let estimated = 0;
  for (const w of input.workloads) {
    const stored = input.stored(w.name);
    const org = originalSize(w, stored);
    if (!org.measured) estimated++;
    const unpacked = org.unpacked;
    const convertedSizes = converting.map((m) => stored.converted[m.tag] ?? org.compressed * ESTIMATE.convertedRatio);
    largestPull = Math.max(largestPull, org.compressed + unpacked, ...convertedSizes.map((c) => c + unpacked));
    const missing = converting.filter((m) => stored.converted[m.tag] === undefined);
    if (stored.original !== undefined && missing.length === 0) continue;
    const converted = convertedSizes.reduce((s, c) => s + c, 0);
    store += (stored.original === undefined ? org.compressed : 0) + converted;
    // Converting pulls the original into the lab's containerd (content and an unpacked snapshot) and writes each conversion beside it.
    state += org.compressed + unpacked + converted;
    if (stored.original === undefined && 'build' in w.image) {
      // A build holds its OCI layout, the unpacked bundle and (Debian) the application's root as a tar.
      const isDebian = w.image.build.base === 'debian';
      debian ||= isDebian;
      scratch.push(org.compressed + unpacked * (isDebian ? 2 : 1));
    }
  }
  const buildScratch = scratch.sort((a, b) => b - a).slice(0, ESTIMATE.parallelBuilds).reduce((s, b) => s + b, 0);
  const needs: DiskNeed[] = [
    { what: 'images', path: places.cache, bytes: store + buildScratch + (debian ? ESTIMATE.debianShared : 0) + ESTIMATE.slack,
      ...(estimated ? { note: `${estimated} of ${input.workloads.length} image sizes estimated` } : {}) },
    // A run's sample pulls one image at a time into fresh state; prepare's lab holds every conversion.
    { what: 'lab state', path: places.state, bytes: Math.max(state, largestPull) + ESTIMATE.slack },
  ];
  if (input.toolsMissing) needs.push({ what: 'tools build', path: places.buildHome, bytes: ESTIMATE.toolsBuild });
  return needs;
}
