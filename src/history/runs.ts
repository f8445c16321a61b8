// The result sets of a history, from their run.json alone: which ones can take part, and in
// what order. Samples are read later, one run at a time (build.ts).
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from '../lab/link.ts';
import { DEFAULT_RUNTIME } from '../runtimes/index.ts';
import { MetaError, readMeta, type RunMeta } from '../results/metadata.ts';
import { META_FILE, SAMPLES_FILE } from '../results/store.ts';

export interface RunRef {
  /** As the user gave it. */
  dir: string;
  meta: RunMeta;
  time: number;
  /** Profile, rate and round trip, and the runtime unless ctr: runs compare only over the same link and runtime. */
  link: string;
}

/** The runs to read, oldest first (ties: run_id); a set without a usable run.json or samples is skipped with a warning. */
export function findRuns(dirs: readonly string[]): { runs: RunRef[]; warnings: string[] } {
  const runs: RunRef[] = [];
  const warnings: string[] = [];
  // A result set named twice (a glob and a "latest" link) would be compared with itself.
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    const real = realpathSync(dir);
    const first = seen.get(real);
    if (first !== undefined) {
      warnings.push(`${dir}: the same result set as ${first}; skipped`);
      continue;
    }
    seen.set(real, dir);
    const metaFile = join(dir, META_FILE);
    if (!existsSync(metaFile)) {
      warnings.push(`${metaFile}: missing, so the run's time and link are unknown; ${dir} skipped`);
      continue;
    }
    let meta: RunMeta;
    try {
      meta = readMeta(metaFile);
    } catch (err) {
      if (!(err instanceof MetaError)) throw err;
      warnings.push(`${err.message}; ${dir} skipped`);
      continue;
    }
    const time = Date.parse(meta.started_at);
    if (Number.isNaN(time)) warnings.push(`${metaFile}: started_at "${meta.started_at}" is not a time; ${dir} skipped`);
    else if (!existsSync(join(dir, SAMPLES_FILE))) warnings.push(`${dir}: no ${SAMPLES_FILE} (the run took no sample); skipped`);
    else runs.push({ dir, meta, time, link: `${describe(meta.link)}${meta.options.runtime !== DEFAULT_RUNTIME ? `, --runtime ${meta.options.runtime}` : ''}` });
  }
  runs.sort((a, b) => a.time - b.time || (a.meta.run_id < b.meta.run_id ? -1 : a.meta.run_id > b.meta.run_id ? 1 : 0));
  return { runs, warnings };
}
