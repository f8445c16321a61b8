// The workload catalogue: what to start and how to know it started.
import { z } from 'zod';

export const PATTERNS = ['echo-hello', 'cmd-arg', 'cmd-arg-wait', 'cmd-stdin'] as const;
export const CATEGORIES = ['distro', 'database', 'language', 'web-server', 'other'] as const;

const sizeRe = /^\d+(\.\d+)?\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/;

/** A file of deterministic pseudo-random (incompressible) bytes put into an image layer. */
const fillerFile = z.object({
  path: z.string().startsWith('/', 'must be an absolute path inside the image'),
  size: z.string().regex(sizeRe, 'must be a size such as 32MiB'),
}).strict();

/** An image built here from busybox-static: a base layer, then one layer per entry of `layers`. */
const busyboxBuild = z.object({
  base: z.literal('busybox'),
  layers: z.array(z.object({ files: z.array(fillerFile).min(1) }).strict()).default([]),
}).strict();

/** An image built here with mmdebstrap: a Debian minbase layer, then a layer with `packages`. */
const debianBuild = z.object({
  base: z.literal('debian'),
  packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/, 'a Debian package name')),
  suite: z.string().regex(/^[a-z-]+$/).optional(),
}).strict();

const imageSpec = z.union([
  z.object({ build: z.discriminatedUnion('base', [busyboxBuild, debianBuild]) }).strict(),
  // A reference, not a command line: it goes to skopeo as one argument.
  z.object({ ref: z.string().max(255).regex(/^[a-z0-9][a-z0-9.-]*(:[0-9]+)?(\/[a-z0-9._-]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/, 'an image reference such as registry.example/library/python:3.12') }).strict(),
]);

/** A server is up at its first successful HTTP answer, as a Kubernetes readiness probe sees it. */
const ready = z.object({
  http: z.object({
    port: z.number().int().min(1).max(65535),
    path: z.string().startsWith('/', 'an absolute URL path such as /').regex(/^[^\s]*$/, 'no spaces').default('/'),
    /** Text the answer's body must hold. */
    expect: z.string().min(1).optional(),
  }).strict(),
}).strict();

/**
 * The first minute of service: once the server is up, a load of bounded length, rate and
 * request count at its HTTP port (the readiness probe's unless given), aimed only at the
 * container's own address in the lab. Latency per second shows what the snapshotter still
 * fetches while the server answers.
 */
const afterReady = z.object({
  http: z.object({
    port: z.number().int().min(1).max(65535),
    path: z.string().startsWith('/', 'an absolute URL path such as /').regex(/^[^\s]*$/, 'no spaces').default('/'),
  }).strict().optional(),
  /** A PostgreSQL server: pgbench's select-only transaction over its pgbench_accounts, written first. */
  postgres: z.object({
    port: z.number().int().min(1).max(65535).default(5432),
    user: z.string().min(1).default('postgres'),
    database: z.string().min(1).default('postgres'),
    /** pgbench's scale: 100 000 rows each. */
    scale: z.number().int().positive().max(100).default(1),
  }).strict().optional(),
  seconds: z.number().positive().max(120).default(30),
  /** Requests per second, sent whatever the answers take (an open load). */
  rate: z.number().int().positive().max(2000).default(50),
  /** At most this many requests in all; seconds x rate when absent. */
  requests: z.number().int().positive().max(240_000).optional(),
  connections: z.number().int().positive().max(64).default(4),
}).strict();

const mount = z.object({ source: z.string().min(1), target: z.string().startsWith('/') }).strict();

export const workloadSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" or "-"'),
  category: z.enum(CATEGORIES),
  image: imageSpec,
  pattern: z.enum(PATTERNS),
  args: z.array(z.string()).min(1).optional(),
  expect: z.string().min(1).optional(),
  waitline: z.string().min(1).regex(/^[^\n\r]*$/, 'one line: output is matched line by line').optional(),
  ready: ready.optional(),
  after_ready: afterReady.optional(),
  stdin: z.string().optional(),
  shell: z.array(z.string()).min(1).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.union([z.string(), z.number()]).transform(String)).default({}),
  mounts: z.array(mount).default([]),
  timeout: z.number().positive().default(120),
  /** Seconds the optimizing conversion watches the workload when no wait line ends it sooner. */
  profile_period: z.number().positive().optional(),
}).strict().superRefine((w, ctx) => {
  if (w.pattern === 'cmd-arg-wait' && !w.waitline && !w.ready) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['waitline'], message: 'required for pattern cmd-arg-wait (or give ready: { http: ... })' });
  }
  if (w.waitline && w.ready) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ready'], message: 'give either waitline or ready, not both: either ends the run phase' });
  }
  if (w.ready && w.pattern !== 'cmd-arg-wait') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ready'], message: `only servers (pattern cmd-arg-wait) have a readiness probe (pattern is ${w.pattern})` });
  }
  if (w.after_ready && w.pattern !== 'cmd-arg-wait') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['after_ready'], message: `only servers (pattern cmd-arg-wait) take a load after ready (pattern is ${w.pattern})` });
  }
  if (w.after_ready?.http && w.after_ready.postgres) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['after_ready'], message: 'give one of http and postgres' });
  }
  if (w.after_ready && !w.after_ready.http && !w.after_ready.postgres && !w.ready) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['after_ready', 'http'], message: 'required when the workload has no ready: { http: ... } probe to take the port from (or give postgres: { port: ... })' });
  }
  if (w.pattern === 'cmd-stdin' && w.stdin === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stdin'], message: 'required for pattern cmd-stdin' });
  }
  if (w.pattern !== 'cmd-stdin' && w.stdin !== undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stdin'], message: `only pattern cmd-stdin reads stdin (pattern is ${w.pattern})` });
  }
  if (w.pattern === 'cmd-arg' && !w.args) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['args'], message: `required for pattern ${w.pattern}` });
  }
});

export const catalogSchema = z.object({
  /** Workload names a run benchmarks when neither --only nor --category is given. */
  default_selection: z.array(z.string()).min(1).optional(),
  workloads: z.array(workloadSchema).min(1),
}).strict();

/** A workload as the rest of hellobench sees it: validated, mounts resolved to absolute paths. */
export type Workload = Omit<z.output<typeof workloadSchema>, 'mounts'> & {
  mounts: { source: string; target: string }[];
  /** The command the container runs: args, or the shell for cmd-stdin, or the image's default. */
  command: string[] | undefined;
  /** Where the workload was defined, for messages. */
  origin: string;
};

const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Bytes in a size such as "32MiB" (already validated by the schema). */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(s.trim());
  if (!m) throw new Error(`not a size: ${s}`);
  return Math.round(Number(m[1]) * (UNITS[m[2] || 'B'] ?? NaN));
}
