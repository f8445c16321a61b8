// samples.jsonl: each sample appended (and flushed) the moment it ends, so an
// interrupted run keeps every finished sample. run.json: what the run was.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from './sample.ts';
import { UserError } from '../errors.ts';

export const SAMPLES_FILE = 'samples.jsonl';
export const META_FILE = 'run.json';

export class SampleStore {
  readonly file: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, SAMPLES_FILE);
  }

  /** Appends one sample; a results directory that cannot take it stops the run (the lab stops with it). */
  append(s: Sample): void {
    try {
      appendFileSync(this.file, `${JSON.stringify(s)}\n`);
    } catch (err) {
      throw new UserError(`${this.file}: cannot write a sample (${(err as NodeJS.ErrnoException).code ?? err}); the samples before it are kept: free space or choose another --out, then go on with --resume ${this.dir}`);
    }
  }
}

/** Writes a file whole or not at all (write to a temporary name, then rename). */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UserError(`${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? err}): free space or choose another output directory`);
  }
}

export interface LoadedSamples { samples: Sample[]; skipped: string[] }

/** Reads samples.jsonl; a truncated or unreadable line is skipped and reported, never fatal. */
export function loadSamples(dir: string): LoadedSamples {
  const file = join(dir, SAMPLES_FILE);
  if (!existsSync(file)) throw new UserError(`${file}: no samples file; is ${dir} a hellobench results directory?`);
  const samples: Sample[] = [];
  const skipped: string[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      samples.push(JSON.parse(line) as Sample);
    } catch {
      skipped.push(`${file}:${i + 1}: incomplete line skipped`);
    }
  });
  return { samples, skipped };
}
