// Builds small but realistic images with no outside registry: a busybox-static base
// layer, then layers of incompressible filler that the workload never reads (the
// bytes lazy pulling is meant to skip). umoci turns each rootfs change into a layer.
import { createCipheriv, createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createWriteStream, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { execa } from 'execa';
import { parseSize } from '../catalog/schema.ts';
import { tool } from '../lab/tools.ts';

export interface BusyboxRecipe {
  base: 'busybox';
  layers: { files: { path: string; size: string }[] }[];
}

/** An OCI layout directory with one tagged image in it. */
export interface OciImage { layout: string; tag: string }

/** Writes `size` bytes of AES-CTR keystream: deterministic for a seed, and gzip cannot shrink it. */
async function writeFiller(file: string, size: number, seed: string): Promise<void> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const out = createWriteStream(file);
  const chunk = Buffer.alloc(1 << 20);
  for (let left = size; left > 0; left -= chunk.length) {
    const part = cipher.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
    if (!out.write(part)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
}

async function busyboxRootfs(rootfs: string): Promise<void> {
  const bin = join(rootfs, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'usr/bin', 'sbin']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(tool('busybox'), join(bin, 'busybox'));
  chmodSync(join(bin, 'busybox'), 0o755);
  const { stdout } = await execa(tool('busybox'), ['--list']);
  for (const applet of stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox')) {
    symlinkSync('busybox', join(bin, applet));
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\n');
}

/** An empty image `img` in a fresh OCI layout under `work`, unpacked into a bundle to fill and repack. */
export async function emptyImage(work: string): Promise<{ layout: string; ref: string; bundle: string; rootfs: string }> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const layout = join(work, 'oci');
  const ref = `${layout}:img`;
  const bundle = join(work, 'bundle');
  const umoci = tool('umoci');
  await execa(umoci, ['init', '--layout', layout]);
  await execa(umoci, ['new', '--image', ref]);
  await execa(umoci, ['unpack', '--image', ref, bundle]);
  return { layout, ref, bundle, rootfs: join(bundle, 'rootfs') };
}

/** Builds the recipe into `work`/oci as tag `img`; returns where it is. */
export async function buildBusyboxImage(recipe: BusyboxRecipe, work: string, seed: string): Promise<OciImage> {
  const { layout, ref, bundle, rootfs } = await emptyImage(work);
  const umoci = tool('umoci');
  await busyboxRootfs(rootfs);
  await execa(umoci, ['repack', '--refresh-bundle', '--image', ref, bundle]);
  for (const [i, layer] of recipe.layers.entries()) {
    for (const f of layer.files) {
      const file = join(rootfs, f.path);
      mkdirSync(dirname(file), { recursive: true });
      await writeFiller(file, parseSize(f.size), `${seed}:${i}:${f.path}`);
    }
    await execa(umoci, ['repack', '--refresh-bundle', '--image', ref, bundle]);
  }
  // No CMD: ctr-remote's profiling run appends the image's CMD to an entrypoint given
  // without arguments, so a CMD would turn `sh` into `sh /bin/sh`.
  await execa(umoci, ['config', '--image', ref,
    '--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  rmSync(bundle, { recursive: true, force: true });
  return { layout, tag: 'img' };
}
