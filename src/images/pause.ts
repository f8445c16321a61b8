// The pods' pause image (the CRI runtime's sandbox container): one layer holding the pause
// binary built by scripts/setup.sh, pushed to the lab registry under a tag that hashes it.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Lab } from '../lab/lab.ts';
import { tool } from '../lab/tools.ts';
import { CACHE_DIR } from '../paths.ts';
import { imageLayers } from './registry.ts';

/** Pushes the pause image unless the registry has it; returns its reference on the direct host. */
export async function preparePauseImage(lab: Lab, log: (line: string) => void): Promise<string> {
  const tag = createHash('sha256').update(readFileSync(tool('pause'))).digest('hex').slice(0, 12);
  const ref = `${lab.directHost}/hellobench/pause:${tag}`;
  if (await imageLayers(lab.directHost, 'hellobench/pause', tag)) return ref;
  const work = join(CACHE_DIR, 'build', `pause-${tag}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const layout = join(work, 'oci');
  const image = `${layout}:pause`;
  const bundle = join(work, 'bundle');
  const umoci = tool('umoci');
  await execa(umoci, ['init', '--layout', layout]);
  await execa(umoci, ['new', '--image', image]);
  await execa(umoci, ['unpack', '--image', image, bundle]);
  copyFileSync(tool('pause'), join(bundle, 'rootfs', 'pause'));
  chmodSync(join(bundle, 'rootfs', 'pause'), 0o755);
  await execa(umoci, ['repack', '--image', image, bundle]);
  await execa(umoci, ['config', '--image', image, '--config.entrypoint', '/pause']);
  await execa(tool('skopeo'), ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:pause`, `docker://${ref}`]);
  rmSync(work, { recursive: true, force: true });
  log(`prepare pause: built ${ref}`);
  return ref;
}
