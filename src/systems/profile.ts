// A profiling run's access record: JSON lines with the `path` of every file the workload
// read at start-up. Optimized modes of every system order or prefetch by it.
import { readFileSync } from 'node:fs';
import type { Workload } from '../catalog/schema.ts';
import type { ProfileRecord } from './system.ts';

/** What a profiling run depends on besides the image: part of the key of every image made from a profile. */
export function profileInputs(w: Workload): unknown {
  return { command: w.command, env: w.env, mounts: w.mounts, stdin: w.stdin, waitline: w.waitline, pattern: w.pattern, period: w.profile_period };
}

/** The distinct paths of a record in the order first read; an unreadable record has none. */
export function readProfile(file: string): ProfileRecord {
  const paths = new Set<string>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { file, paths: [] };
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as { path?: unknown };
      if (typeof rec.path === 'string' && rec.path) paths.add(rec.path);
    } catch { /* a torn line */ }
  }
  return { file, paths: [...paths] };
}
