// prepare: puts every (workload, mode) image into the lab registry, once. Tags carry a
// hash of everything that shapes the image, so an existing tag is a valid cache hit and
// a changed recipe or command never reuses a stale image.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pLimit from 'p-limit';
import type { Workload } from '../catalog/schema.ts';
import { NAMESPACE, type Lab } from '../lab/lab.ts';
import { tool } from '../lab/tools.ts';
import { BASELINE, MODES, type Mode } from '../systems/index.ts';
import { readProfile } from '../systems/profile.ts';
import type { ConvertContext, ImageMetadata, ProfileRecord } from '../systems/system.ts';
import { CACHE_DIR } from '../paths.ts';
import { buildBusyboxImage, type BusyboxRecipe } from './build.ts';
import { buildDebianImage, debianKey, type DebianRecipe } from './debian.ts';
import { compressedSize, imageLayers, registryImage } from './registry.ts';
import { lastLines, oneLine } from '../util/text.ts';

/** Bump when the way images are built or converted changes, to invalidate every cached tag. */
const RECIPE_VERSION = 2;

/** The mode whose conversion profiles the workload; other optimized modes reuse its record. */
const PROFILER = MODES.find((m) => m.profile === 'records');

export interface PreparedImage {
  workload: string;
  mode: string;
  /** Reference relative to the registry host (`hellobench/NAME:TAG`). */
  name: string;
  layers: number;
  compressed_bytes: number;
  action: 'built' | 'copied' | 'converted' | 'reused';
  seconds: number;
  /** Files the profiling run recorded as read (optimized modes). */
  profiled_files?: number;
  /**
   * Seconds this mode's conversion took when the image was made (a profiling conversion runs the
   * workload too), kept beside the image so that a reused one still says; absent for originals and
   * for images converted before it was kept.
   */
  conversion_s?: number;
  /** The lazy system's own metadata in the image (TOCs, bootstrap, SOCI index and ztocs), read from the registry. */
  metadata?: ImageMetadata;
}

export interface PrepareFailure { workload: string; mode: string; reason: string }

export interface PrepareResult { images: PreparedImage[]; failures: PrepareFailure[] }

export interface PrepareOptions {
  /** Registry (host[/prefix]) that `ref:` images are copied from; default: as written. */
  sourceRegistry?: string;
  log?: (line: string) => void;
}

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 12);

/** The original image's name: its tag hashes the recipe, and for Debian every package version apt resolves now (an update rebuilds it). */
export async function originalName(w: Workload): Promise<string> {
  const spec = w.image;
  const debian = 'build' in spec && spec.build.base === 'debian' ? spec.build as DebianRecipe : null;
  return `hellobench/${w.name}:org-${hash({ v: RECIPE_VERSION, spec, name: w.name, ...(debian ? { resolved: await debianKey(debian) } : {}) })}`;
}

/** A converted image's name: its tag hashes the original's, the mode and the converter's inputs. */
export async function convertedName(w: Workload, mode: Mode, orgName: string): Promise<string> {
  const key = hash({ v: RECIPE_VERSION, org: orgName, system: mode.system.name, mode: mode.name, options: mode.options, inputs: await mode.system.convertKey?.(mode, w) });
  return `hellobench/${w.name}:${mode.tag}-${key}`;
}

/** Every image name a selection needs (the profiling mode's too), found without building anything. */
export async function imageNames(workloads: readonly Workload[], modes: readonly Mode[]): Promise<string[]> {
  const names: string[] = [];
  for (const w of workloads) {
    const org = await originalName(w);
    names.push(org);
    const converted = new Set(modes.filter((m) => m.system.convert));
    // Modes that read another's profile make the profiling mode's image too.
    if (PROFILER && [...converted].some((m) => m.profile === 'reads')) converted.add(PROFILER);
    for (const m of converted) names.push(await convertedName(w, m, org));
  }
  return [...new Set(names)].sort();
}

/** Prepares all images; a failing workload is reported and the others go on. */
export async function prepareImages(lab: Lab, workloads: Workload[], modes: readonly Mode[], opts: PrepareOptions = {}): Promise<PrepareResult> {
  const log = opts.log ?? (() => {});
  const limit = pLimit(Math.max(1, Math.min(availableParallelism(), 4)));
  const images: PreparedImage[] = [];
  const failures: PrepareFailure[] = [];
  await Promise.all(workloads.map((w) => limit(async () => {
    let org: PreparedImage;
    try {
      org = await prepareOriginal(lab, w, opts.sourceRegistry);
      images.push(org);
      log(`prepare ${w.name} ${BASELINE}: ${org.action} ${org.name} (${mb(org.compressed_bytes)}, ${org.layers} layers) in ${org.seconds.toFixed(1)}s`);
    } catch (err) {
      const reason = oneLine(err);
      for (const m of modes) failures.push({ workload: w.name, mode: m.name, reason });
      log(`prepare ${w.name}: FAILED: ${reason}`);
      return;
    }
    // The profile is made once per image, by the profiling mode's conversion, whichever mode asks first.
    let profiling: Promise<ProfileRecord> | undefined;
    const profile = () => (profiling ??= (async () => {
      if (!PROFILER) throw new Error('no mode profiles workloads');
      const img = await convert(lab, w, PROFILER, org, profile, log);
      if (!modes.includes(PROFILER)) log(`prepare ${w.name} ${PROFILER.name}: ${img.action} ${img.name} for its profile`);
      return readProfile(recordFileOf(w, PROFILER, img.name));
    })());
    for (const mode of modes) {
      if (!mode.system.convert) continue;
      try {
        const img = await withMetadata(lab, mode, await convert(lab, w, mode, org, profile, log), log);
        images.push(img);
        const meta = img.metadata ? `, ${img.metadata.what} ${(img.metadata.bytes / 1e3).toFixed(1)} kB` : '';
        log(`prepare ${w.name} ${mode.name}: ${img.action} ${img.name} (${mb(img.compressed_bytes)}${meta}) in ${img.seconds.toFixed(1)}s`);
      } catch (err) {
        failures.push({ workload: w.name, mode: mode.name, reason: oneLine(err) });
        log(`prepare ${w.name} ${mode.name}: FAILED: ${oneLine(err)}`);
      }
    }
  })));
  return { images, failures };
}

async function prepareOriginal(lab: Lab, w: Workload, sourceRegistry?: string): Promise<PreparedImage> {
  const started = performance.now();
  const spec = w.image;
  const debian = 'build' in spec && spec.build.base === 'debian' ? spec.build as DebianRecipe : null;
  const name = await originalName(w);
  const key = name.split(':org-')[1]!;
  const existing = await layersOf(lab, name);
  if (existing) return record(w, BASELINE, name, existing, 'reused', started);

  const dest = `docker://${lab.directHost}/${name}`;
  let action: PreparedImage['action'];
  if ('build' in spec) {
    const work = join(CACHE_DIR, 'build', `${w.name}-${key}`);
    const img = debian ? await buildDebianImage(debian, work) : await buildBusyboxImage(spec.build as BusyboxRecipe, work, key);
    await execa(tool('skopeo'), ['copy', '--quiet', '--dest-tls-verify=false', `oci:${img.layout}:${img.tag}`, dest]);
    rmSync(work, { recursive: true, force: true });
    action = 'built';
  } else {
    const src = sourceRef(spec.ref, sourceRegistry);
    const r = await execa(tool('skopeo'), ['copy', '--quiet', '--dest-tls-verify=false', `docker://${src}`, dest], { reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`cannot copy ${src}: ${lastLines(r.all)} (is its registry reachable? choose another with --source-registry)`);
    action = 'copied';
  }
  const layers = await layersOf(lab, name);
  if (!layers) throw new Error(`pushed ${name} but the registry does not list it`);
  return record(w, BASELINE, name, layers, action, started);
}

/**
 * Where a `ref:` image is copied from: as written, or from `sourceRegistry` (host[/prefix])
 * with the reference's own registry host (a first component with a dot or colon) replaced.
 */
export function sourceRef(ref: string, sourceRegistry?: string): string {
  if (!sourceRegistry) return ref;
  const parts = ref.split('/');
  const path = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!) ? parts.slice(1).join('/') : ref;
  return `${sourceRegistry.replace(/\/+$/, '')}/${path}`;
}

/** Converts `org` for `mode` unless the registry has it. */
async function convert(lab: Lab, w: Workload, mode: Mode, org: PreparedImage, profile: () => Promise<ProfileRecord>, log: (l: string) => void): Promise<PreparedImage> {
  const started = performance.now();
  const system = mode.system;
  const name = await convertedName(w, mode, org.name);
  const recordFile = recordFileOf(w, mode, name);
  const existing = await layersOf(lab, name);
  // The profiling mode's record is an input of other modes: without it, convert again.
  if (existing && !(mode.profile === 'records' && !existsSync(recordFile))) {
    const profiled = readProfile(recordFile).paths.length;
    return { ...record(w, mode.name, name, existing, 'reused', started, profiled || undefined), ...conversionOf(name) };
  }
  if (!lab.runtimeUp) await lab.startRuntime(null);
  const src = `${lab.directHost}/${org.name}`;
  const pull = await execa(lab.ctr, [...lab.ctrArgs(), 'image', 'pull', '--plain-http', src], { reject: false, all: true });
  if (pull.exitCode !== 0) throw new Error(`ctr image pull ${src}: ${lastLines(pull.all)}`);
  mkdirSync(join(CACHE_DIR, 'profiles'), { recursive: true });
  const ctx: ConvertContext = {
    ctr: lab.ctr, ctrArgs: lab.ctrArgs(), containerdSock: lab.containerdSock, namespace: NAMESPACE, src, dst: `${lab.directHost}/${name}`,
    workload: w, recordFile, profile, log, tmpDir: join(lab.dir, 'tmp'),
  };
  mkdirSync(ctx.tmpDir, { recursive: true });
  const result = await system.convert!(ctx, mode);
  const layers = await layersOf(lab, name);
  if (!layers) throw new Error(`pushed ${name} but the registry does not list it`);
  const made = record(w, mode.name, name, layers, 'converted', started, result.profiled_files);
  mkdirSync(join(CACHE_DIR, 'images'), { recursive: true });
  writeFileSync(conversionFile(name), `${JSON.stringify({ conversion_s: made.seconds })}\n`);
  return { ...made, conversion_s: made.seconds };
}

/**
 * The image with its system's metadata size, read from the registry whether it was made now or
 * before. A figure for the report, not a condition of measuring: an unreadable one is said and left out.
 */
async function withMetadata(lab: Lab, mode: Mode, img: PreparedImage, log: (l: string) => void): Promise<PreparedImage> {
  if (!mode.system.metadata) return img;
  try {
    const [repo, tag] = img.name.split(':') as [string, string];
    const image = await registryImage(lab.directHost, repo, tag);
    if (!image) throw new Error('the registry does not list it');
    return { ...img, metadata: await mode.system.metadata(image) };
  } catch (err) {
    log(`prepare ${img.workload} ${mode.name}: warning: the size of ${mode.system.name}'s metadata in ${img.name} was not read: ${oneLine(err)}`);
    return img;
  }
}

/** Where what a converted image's making took is kept, beside the image cache. */
const conversionFile = (name: string) => join(CACHE_DIR, 'images', `${name.replace(/[/:]/g, '_')}.json`);

function conversionOf(name: string): { conversion_s?: number } {
  try {
    const s = (JSON.parse(readFileSync(conversionFile(name), 'utf8')) as { conversion_s?: unknown }).conversion_s;
    return typeof s === 'number' ? { conversion_s: s } : {};
  } catch {
    return {};
  }
}

/** Where a conversion of `mode` keeps the profile it was built with (modes that use none write nothing). */
function recordFileOf(w: Workload, mode: Mode, imageName: string): string {
  return join(CACHE_DIR, 'profiles', `${w.name}-${mode.tag}-${imageName.split('-').pop()}.jsonl`);
}

async function layersOf(lab: Lab, name: string) {
  const [repo, tag] = name.split(':') as [string, string];
  return imageLayers(lab.directHost, repo, tag);
}

function record(w: Workload, mode: string, name: string, layers: { size: number }[], action: PreparedImage['action'], started: number, profiled_files?: number): PreparedImage {
  return {
    workload: w.name, mode, name, layers: layers.length, compressed_bytes: compressedSize(layers as never),
    action, seconds: (performance.now() - started) / 1000, ...(profiled_files === undefined ? {} : { profiled_files }),
  };
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
