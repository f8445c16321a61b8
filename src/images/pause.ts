// The pods' pause image (the CRI runtime's sandbox container): one layer holding the pause
// binary built by scripts/setup.sh, pushed to the lab registry under a tag that hashes it.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Lab } from '../lab/lab.ts';
import { tool } from '../lab/tools.ts';
import { CACHE_DIR } from '../paths.ts';
import { emptyImage } from './build.ts';
import { imageLayers } from './registry.ts';

/** Pushes the pause image unless the registry has it; returns its reference on the direct host. */
export async function preparePauseImage(lab: Lab, log: (line: string) => void): Promise<string> {
  const tag = createHash('sha256').update(readFileSync(tool('pause'))).digest('hex').slice(0, 12);
  const ref = `${lab.directHost}/hellobench/pause:${tag}`;
  if (await imageLayers(lab.directHost, 'hellobench/pause', tag)) return ref;
  const work = join(CACHE_DIR, 'build', `pause-${tag}`);
  const { layout, ref: image, bundle, rootfs } = await emptyImage(work);
  copyFileSync(tool('pause'), join(rootfs, 'pause'));
  chmodSync(join(rootfs, 'pause'), 0o755);
  await execa(tool('umoci'), ['repack', '--image', image, bundle]);
  await execa(tool('umoci'), ['config', '--image', image, '--config.entrypoint', '/pause']);
  await execa(tool('skopeo'), ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:img`, `docker://${ref}`]);
  rmSync(work, { recursive: true, force: true });
  log(`prepare pause: built ${ref}`);
  return ref;
}
