// image-key: one hash of every image name a selection needs. The names already hash what
// shapes each image, so a CI cache keyed on this line is reused exactly while they hold.
import { createHash } from 'node:crypto';
import { imageNames } from '../images/prepare.ts';
import { log, select, type SelectionOptions } from './common.ts';

export async function imageKeyCommand(opts: SelectionOptions & { verbose?: boolean }): Promise<number> {
  const { workloads, modes } = select(opts, true);
  const names = await imageNames(workloads, modes);
  if (opts.verbose) for (const n of names) log(n);
  process.stdout.write(`${createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 20)}\n`);
  return 0;
}
