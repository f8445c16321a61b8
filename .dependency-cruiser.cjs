// The layers of src/, lowest first: a module imports its own layer or lower ones, never one
// above it, with no circle and no orphan. test/unit/layers.test.ts runs these rules (and shows
// that an upward import fails them); docs/architecture.md says why each layer sits where it does.
const LAYERS = [
  ['util', 'errors.ts', 'paths.ts'],
  ['catalog', 'results'],
  ['lab', 'timing'],
  ['systems'],
  ['images'],
  ['runtimes'],
  ['bench'],
  ['stats'],
  ['report'],
  ['history'],
  ['commands'],
  ['program.ts', 'cli.ts'],
];

const path = (names) => `^src/(${names.map((n) => n.replace('.', '\\.')).join('|')})($|/)`;

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-import-up-from-${layer[0].replace('.ts', '')}`,
  comment: `${layer.join(', ')} sit below ${LAYERS.slice(i + 1).flat().join(', ')}: import downwards only`,
  severity: 'error',
  from: { path: path(layer) },
  to: { path: path(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      comment: 'modules that import each other cannot be understood or tested apart',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'a module nothing imports is dead code (cli.ts is the entry point)',
      severity: 'error',
      from: { orphan: true, pathNot: ['^src/cli\\.ts$', '\\.d\\.ts$'] },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
