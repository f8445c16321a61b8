// GitHub Actions expressions (`${{ ... }}`), as far as the project's workflows use them:
// contexts (inputs, env, matrix, steps, needs, github), string and number literals,
// ! && || == != and parentheses, and the functions always, success, failure, cancelled,
// fromJSON, toJSON, format, contains, startsWith and hashFiles. The job-container runner
// evaluates `if:`, `with:`, `env:`, `key:` and matrices with it, as the runner would.

export type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

export interface Scope {
  contexts: Record<string, Value>;
  /** The job's status so far: success() and failure() read it. */
  status: 'success' | 'failure';
  hashFiles: (patterns: string[]) => string;
}

type Token = { kind: 'str' | 'num' | 'id' | 'op'; text: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === "'") {
      let s = '';
      for (i++; i < src.length; i++) {
        if (src[i] === "'" && src[i + 1] === "'") { s += "'"; i++; continue; }
        if (src[i] === "'") break;
        s += src[i];
      }
      if (src[i] !== "'") throw new Error(`unterminated string in expression: ${src}`);
      i++;
      out.push({ kind: 'str', text: s });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['&&', '||', '==', '!=', '<=', '>='].includes(two)) { out.push({ kind: 'op', text: two }); i += 2; continue; }
    if ('!()[],.<>*'.includes(c)) { out.push({ kind: 'op', text: c }); i++; continue; }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) { out.push({ kind: 'num', text: num[0] }); i += num[0].length; continue; }
    const id = /^[A-Za-z_][\w-]*/.exec(src.slice(i));
    if (id) { out.push({ kind: 'id', text: id[0] }); i += id[0].length; continue; }
    throw new Error(`unexpected "${c}" in expression: ${src}`);
  }
  return out;
}

const truthy = (v: Value): boolean => !(v === false || v === null || v === '' || v === 0);
const str = (v: Value): string => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const loose = (a: Value, b: Value): boolean =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : str(a) === str(b);

/** Evaluates one expression (the text inside `${{ }}`, or a bare `if:`). */
export function evaluate(src: string, scope: Scope): Value {
  const t = tokenize(src);
  let p = 0;
  const peek = (text?: string) => (t[p] && (text === undefined || t[p]!.text === text) ? t[p] : undefined);
  const expect = (text: string) => {
    if (t[p]?.text !== text) throw new Error(`expected "${text}" in expression: ${src}`);
    p++;
  };
  const or = (): Value => { let v = and(); while (peek('||')) { p++; const r = and(); v = truthy(v) ? v : r; } return v; };
  const and = (): Value => { let v = cmp(); while (peek('&&')) { p++; const r = cmp(); v = truthy(v) ? r : v; } return v; };
  const cmp = (): Value => {
    const v = unary();
    if (peek('==')) { p++; return loose(v, unary()); }
    if (peek('!=')) { p++; return !loose(v, unary()); }
    return v;
  };
  const unary = (): Value => { if (peek('!')) { p++; return !truthy(unary()); } return primary(); };
  const primary = (): Value => {
    const tok = t[p++];
    if (!tok) throw new Error(`incomplete expression: ${src}`);
    if (tok.kind === 'str') return tok.text;
    if (tok.kind === 'num') return Number(tok.text);
    if (tok.text === '(') { const v = or(); expect(')'); return v; }
    if (tok.kind !== 'id') throw new Error(`unexpected "${tok.text}" in expression: ${src}`);
    if (tok.text === 'true') return true;
    if (tok.text === 'false') return false;
    if (tok.text === 'null') return null;
    if (peek('(')) {
      p++;
      const args: Value[] = [];
      while (!peek(')')) { args.push(or()); if (peek(',')) p++; }
      expect(')');
      return call(tok.text, args);
    }
    let v: Value = scope.contexts[tok.text] ?? null;
    for (;;) {
      if (peek('.')) {
        p++;
        const key = t[p++]!.text;
        v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[key] ?? null : null;
      } else if (peek('[')) {
        p++;
        const key = or();
        expect(']');
        v = v !== null && typeof v === 'object' ? (v as Record<string, Value>)[str(key)] ?? null : null;
      } else return v;
    }
  };
  const call = (name: string, args: Value[]): Value => {
    switch (name.toLowerCase()) {
      case 'always': return true;
      case 'cancelled': return false;
      case 'success': return scope.status === 'success';
      case 'failure': return scope.status === 'failure';
      case 'fromjson': return JSON.parse(str(args[0] ?? '')) as Value;
      case 'tojson': return JSON.stringify(args[0] ?? null, null, 2);
      case 'contains': return Array.isArray(args[0]) ? args[0].some((x) => loose(x, args[1] ?? null)) : str(args[0] ?? '').toLowerCase().includes(str(args[1] ?? '').toLowerCase());
      case 'startswith': return str(args[0] ?? '').toLowerCase().startsWith(str(args[1] ?? '').toLowerCase());
      case 'format': return str(args[0] ?? '').replace(/\{(\d+)\}/g, (_, k: string) => str(args[Number(k) + 1] ?? ''));
      case 'hashfiles': return scope.hashFiles(args.map(str));
      default: throw new Error(`unknown function ${name}() in expression: ${src}`);
    }
  };
  const v = or();
  if (p !== t.length) throw new Error(`unexpected "${t[p]!.text}" in expression: ${src}`);
  return v;
}

/** A string with `${{ }}` parts replaced by their values; a string that is one whole expression keeps its type. */
export function interpolate(text: string, scope: Scope): Value {
  const whole = /^\s*\$\{\{(.*?)\}\}\s*$/s.exec(text);
  if (whole && !whole[1]!.includes('}}')) return evaluate(whole[1]!, scope);
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_, e: string) => str(evaluate(e, scope)));
}

/** An `if:` condition: a bare expression or one in `${{ }}`; absent means success(). */
export function condition(text: string | boolean | undefined, scope: Scope): boolean {
  if (text === undefined) return scope.status === 'success';
  if (typeof text === 'boolean') return text;
  const inner = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(text)?.[1] ?? text;
  // GitHub adds success() && to a condition that names no status function.
  const explicit = /\b(always|success|failure|cancelled)\s*\(/.test(inner);
  return truthy(evaluate(explicit ? inner : `success() && (${inner})`, scope));
}

export const asString = str;
