// Loads a catalogue file; every error names file:line:col and the field.
import { UserError } from '../errors.ts';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { CATEGORIES, catalogSchema, type Workload } from './schema.ts';

export class CatalogError extends UserError {}

function locate(doc: Document, lc: LineCounter, path: (string | number)[]): string {
  // Walk up the path until a node with a source range exists (a missing field has none).
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const { line, col } = lc.linePos(node.range[0]);
      return `${line}:${col}`;
    }
  }
  return '1:1';
}

export interface Catalog { workloads: Workload[]; defaultSelection: string[] }

/** `allowOutsideMounts`: a mount may hand the container a host path outside the catalogue's folder. */
export interface CatalogOptions { allowOutsideMounts?: boolean }

export function parseCatalog(text: string, file: string, opts: CatalogOptions = {}): Workload[] {
  return parseCatalogFile(text, file, opts).workloads;
}

/** The host path a mount source names, symbolic links followed where it exists. */
function hostPath(base: string, source: string): string {
  const p = resolve(base, source);
  return existsSync(p) ? realpathSync(p) : p;
}

export function parseCatalogFile(text: string, file: string, opts: CatalogOptions = {}): Catalog {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const { line, col } = lc.linePos(e.pos[0]);
    throw new CatalogError(`${file}:${line}:${col}: YAML syntax: ${e.message.split('\n')[0]}`);
  }
  const parsed = catalogSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = locate(doc, lc, issue.path);
    const field = issue.path.join('.') || '(top level)';
    throw new CatalogError(`${file}:${where}: ${field}: ${issue.message}`);
  }
  const seen = new Map<string, number>();
  const base = dirname(resolve(file));
  const workloads = parsed.data.workloads.map((w, i) => {
    if (seen.has(w.name)) {
      const where = locate(doc, lc, ['workloads', i, 'name']);
      throw new CatalogError(`${file}:${where}: workloads.${i}.name: duplicate name "${w.name}" (also workloads.${seen.get(w.name)})`);
    }
    seen.set(w.name, i);
    // A catalogue from elsewhere must not hand the container the host's files without a word.
    const folder = existsSync(base) ? realpathSync(base) : base;
    w.mounts.forEach((m, j) => {
      const source = hostPath(base, m.source);
      if (!opts.allowOutsideMounts && source !== folder && !source.startsWith(`${folder}/`)) {
        throw new CatalogError(`${file}:${locate(doc, lc, ['workloads', i, 'mounts', j, 'source'])}: workloads.${i}.mounts.${j}.source: ${m.source} is ${source}, outside the catalogue's folder ${folder}; pass --allow-outside-mounts to hand it to the container`);
      }
    });
    const command = w.pattern === 'cmd-stdin' ? (w.args ?? w.shell ?? ['sh']) : w.args;
    return {
      ...w,
      mounts: w.mounts.map((m) => ({ source: resolve(base, m.source), target: m.target })),
      command,
      origin: `${file}#${w.name}`,
    };
  });
  const defaultSelection = parsed.data.default_selection ?? [];
  const unknown = defaultSelection.filter((n) => !workloads.some((w) => w.name === n));
  if (unknown.length) throw new CatalogError(`${file}:${locate(doc, lc, ['default_selection'])}: default_selection: no workload named ${unknown.join(', ')}`);
  return { workloads, defaultSelection };
}

export function loadCatalog(file: string): Workload[] {
  return loadCatalogFile(file).workloads;
}

export function loadCatalogFile(file: string, opts: CatalogOptions = {}): Catalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CatalogError(`${file}: cannot read the workload catalogue (${(err as NodeJS.ErrnoException).code ?? err}); pass an existing file with --workloads`);
  }
  return parseCatalogFile(text, file, opts);
}

/** Keeps the workloads named in `only` and in `categories` (each: all when empty); unknown names are errors. */
export function selectWorkloads(all: Workload[], only: string[], file: string, categories: string[] = []): Workload[] {
  const names = new Set(all.map((w) => w.name));
  const unknown = only.filter((n) => !names.has(n));
  if (unknown.length) throw new CatalogError(`--only: no workload named ${unknown.join(', ')} in ${file} (it has: ${[...names].join(', ')})`);
  const badCat = categories.filter((c) => !(CATEGORIES as readonly string[]).includes(c));
  if (badCat.length) throw new CatalogError(`--category: unknown ${badCat.join(', ')}: choose from ${CATEGORIES.join(', ')}`);
  const picked = all.filter((w) => (only.length === 0 || only.includes(w.name)) && (categories.length === 0 || categories.includes(w.category)));
  if (picked.length === 0) throw new CatalogError(`${file}: no workload matches --only ${only.join(',') || '(any)'} --category ${categories.join(',') || '(any)'}`);
  return picked;
}
