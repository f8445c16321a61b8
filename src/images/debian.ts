// Real application images with no container registry: mmdebstrap builds a minbase root
// and the same root plus the application's packages, from the host's own apt sources.
// umoci turns them into two layers (base, then the application's difference), like the
// images upstream benchmarks. Fixed SOURCE_DATE_EPOCH clamps build-time mtimes, so files
// the two roots share are identical and stay out of the application layer.
import { UserError } from '../errors.ts';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { tool } from '../lab/tools.ts';
import { CACHE_DIR } from '../paths.ts';
import type { OciImage } from './build.ts';
import { serialized } from '../util/serial.ts';

/** `packages: []` is the distribution alone (one layer). */
export interface DebianRecipe { base: 'debian'; packages: string[]; suite?: string }

/** Any fixed instant works; it only has to be the same for the base and the application root. */
const SOURCE_DATE_EPOCH = '1700000000';
/** Bump when the way these images are assembled changes. */
const BUILDER_VERSION = 2;
/** Packages whose versions stand for the minbase root in its cache key (with apt's closure). */
const BASE_KEY_PACKAGES = ['apt', 'base-files', 'bash', 'coreutils', 'dpkg', 'libc-bin', 'util-linux'];

export class BuildError extends UserError {}

export function hostSuite(): string {
  const m = /^VERSION_CODENAME=(\w+)/m.exec(readFileSync('/etc/os-release', 'utf8'));
  if (!m) throw new BuildError('cannot tell the host\'s Debian suite from /etc/os-release; set `suite:` in the recipe');
  return m[1]!;
}

/** The host's apt source files, given to mmdebstrap as its mirrors (no mirror is named here). */
export function hostSources(): string[] {
  const out: string[] = [];
  if (existsSync('/etc/apt/sources.list') && readFileSync('/etc/apt/sources.list', 'utf8').split('\n').some((l) => /^\s*deb\s/.test(l))) out.push('/etc/apt/sources.list');
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) out.push(join(dir, f));
  if (!out.length) throw new BuildError('the host has no apt sources (/etc/apt/sources.list[.d]); mmdebstrap needs them');
  return out;
}

/**
 * The versions apt would install for `packages` on an empty system, as name=version lines:
 * the cache key of an image (a changed version anywhere in the closure rebuilds it).
 */
export async function resolvePackages(packages: string[], asked: string[] = packages): Promise<string[]> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const empty = join(CACHE_DIR, 'empty-dpkg-status');
  if (!existsSync(empty)) writeFileSync(empty, '');
  const r = await execa('apt-get', ['-s', '-o', `Dir::State::Status=${empty}`, 'install', '--no-install-recommends', ...packages], { reject: false, all: true, env: { LC_ALL: 'C' } });
  if (r.exitCode !== 0) {
    const e = (r.all ?? '').split('\n').find((l) => l.startsWith('E:')) ?? `apt-get exited ${r.exitCode}`;
    throw new BuildError(`cannot resolve packages ${asked.join(' ')}: ${e.replace(/^E:\s*/, '')} (run apt-get update if the lists are old)`);
  }
  return (r.stdout.match(/^Inst \S+ \([^ )]+/gm) ?? []).map((l) => l.replace(/^Inst (\S+) \((\S+)/, '$1=$2')).sort();
}

/** mmdebstrap runs one at a time: they share the .deb cache, which they read and write. */
const mmdebstrap = serialized(async (suite: string, include: string[], out: string): Promise<void> => {
  const debs = join(CACHE_DIR, 'debs');
  mkdirSync(debs, { recursive: true });
  const tmp = `${out}.part`;
  // A shared .deb cache: each build downloads only what no earlier build fetched.
  const args = ['--variant=minbase', '--format=tar', '--skip=download/empty', '--skip=essential/unlink',
    `--setup-hook=mkdir -p "$1"/var/cache/apt/archives/`,
    `--setup-hook=sync-in ${debs} /var/cache/apt/archives/`,
    `--customize-hook=sync-out /var/cache/apt/archives ${debs}`,
    ...(include.length ? [`--include=${include.join(',')}`] : []),
    suite, tmp, ...hostSources()];
  const r = await execa('mmdebstrap', args, { reject: false, all: true, stdin: 'ignore', env: { SOURCE_DATE_EPOCH, LC_ALL: 'C' } });
  if (r.exitCode !== 0) {
    rmSync(tmp, { force: true });
    const lines = (r.all ?? '').split('\n').filter((l) => /^E:|error/i.test(l) && !/mmdebstrap failed to run/.test(l));
    throw new BuildError(`mmdebstrap ${include.join(',') || 'minbase'} failed: ${(lines[0] ?? (r.all ?? '').trim().split('\n').at(-1) ?? '').slice(0, 300)}`);
  }
  renameSync(tmp, out);
});

/** The minbase root as a tar, cached by suite and the versions of its key packages. */
async function baseTar(suite: string): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify([suite, await resolvePackages(BASE_KEY_PACKAGES)])).digest('hex').slice(0, 12);
  const dir = join(CACHE_DIR, 'debian');
  mkdirSync(dir, { recursive: true });
  const tar = join(dir, `base-${suite}-${key}.tar`);
  if (!existsSync(tar)) await mmdebstrap(suite, [], tar);
  return tar;
}

function touchDirs(dir: string, epoch: number): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) touchDirs(join(dir, e.name), epoch);
  }
  utimesSync(dir, epoch, epoch);
}

/** In-flight base builds, so parallel image builds share one. */
const bases = new Map<string, Promise<string>>();

export async function buildDebianImage(recipe: DebianRecipe, work: string): Promise<OciImage> {
  const suite = recipe.suite ?? hostSuite();
  if (!bases.has(suite)) bases.set(suite, baseTar(suite).catch((e) => { bases.delete(suite); throw e; }));
  const base = await bases.get(suite)!;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const appTar = join(work, 'app.tar');
  if (recipe.packages.length) await mmdebstrap(suite, recipe.packages, appTar);
  const layers = recipe.packages.length ? [base, appTar] : [base];

  const layout = join(work, 'oci');
  const ref = `${layout}:img`;
  const bundle = join(work, 'bundle');
  const rootfs = join(bundle, 'rootfs');
  const umoci = tool('umoci');
  await execa(umoci, ['init', '--layout', layout]);
  await execa(umoci, ['new', '--image', ref]);
  await execa(umoci, ['unpack', '--image', ref, bundle]);
  for (const tar of layers) {
    rmSync(rootfs, { recursive: true, force: true });
    mkdirSync(rootfs);
    await execa('tar', ['-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-f', tar, '-C', rootfs]);
    // umoci leaves unchanged directories out of a diff layer, but ctr-remote's optimizer
    // needs the parent directory entry of every file it reorders: give the application
    // layer every directory, by a later mtime (a few hundred KB of headers).
    if (tar === appTar) touchDirs(rootfs, Number(SOURCE_DATE_EPOCH) + 1);
    await execa(umoci, ['repack', '--refresh-bundle', '--image', ref, bundle]);
  }
  await execa(umoci, ['config', '--image', ref, '--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--config.env', 'LANG=C.UTF-8']);
  rmSync(bundle, { recursive: true, force: true });
  rmSync(appTar, { force: true });
  return { layout, tag: 'img' };
}

/** Cache-key inputs of a Debian image: the suite and every resolved package version. */
export async function debianKey(recipe: DebianRecipe): Promise<unknown> {
  const suite = recipe.suite ?? hostSuite();
  return { builder: BUILDER_VERSION, suite, resolved: await resolvePackages([...BASE_KEY_PACKAGES, ...recipe.packages], recipe.packages) };
}
