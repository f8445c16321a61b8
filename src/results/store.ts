// samples.jsonl: each sample appended (and flushed) the moment it ends, so an
// interrupted run keeps every finished sample. run.json: what the run was.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from './sample.ts';

export const SAMPLES_FILE = 'samples.jsonl';
export const META_FILE = 'run.json';

export class SampleStore {
  readonly file: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, SAMPLES_FILE);
  }

  append(s: Sample): void {
    appendFileSync(this.file, `${JSON.stringify(s)}\n`);
  }
}

/** Writes a file whole or not at all (write to a temporary name, then rename). */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export interface LoadedSamples { samples: Sample[]; skipped: string[] }

/** Reads samples.jsonl; a truncated or unreadable line is skipped and reported, never fatal. */
export function loadSamples(dir: string): LoadedSamples {
  const file = join(dir, SAMPLES_FILE);
  if (!existsSync(file)) throw new Error(`${file}: no samples file; is ${dir} a hellobench results directory?`);
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
