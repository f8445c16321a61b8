// The one shape of every output file: a file name and how to render it from an input.
// Commands list their exporters; writing (atomic, in order) happens here only.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../results/store.ts';

export interface Exporter<I> {
  /** File name inside the output directory; one file per format. */
  file: string;
  render(input: I): string | Uint8Array | Promise<string | Uint8Array>;
  /** Whether the input has what the file shows (a chart of figures older runs lack); always when absent. */
  when?(input: I): boolean;
}

/** Renders and writes every exporter's file into `dir`; returns the file names written. */
export async function writeExports<I>(dir: string, exporters: readonly Exporter<I>[], input: I): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const wanted = exporters.filter((e) => e.when?.(input) ?? true);
  for (const e of wanted) writeAtomic(join(dir, e.file), await e.render(input));
  return wanted.map((e) => e.file);
}

/** A value computed once, on first use, for exporters that share it (an SVG and its PNG). */
export function once<T>(make: () => T): () => T {
  let v: { value: T } | undefined;
  return () => (v ??= { value: make() }).value;
}
