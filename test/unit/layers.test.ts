// The house's structure, held by tools: dependency-cruiser's layers (.dependency-cruiser.cjs)
// and knip's unused files, exports and dependencies (knip.json).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';

const root = join(import.meta.dirname, '../..');
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const config = join(root, '.dependency-cruiser.cjs');

test('src/ keeps its layers: no import up a layer, no circle, no orphan', async () => {
  const r = await execa(bin('depcruise'), ['src', '--config', config, '--output-type', 'err'], { cwd: root, reject: false, all: true });
  assert.equal(r.exitCode, 0, r.all);
});

test('an import up a layer (the lab importing reporting) and a circle fail the rules', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-layers-'));
  cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const d of ['lab', 'report', 'stats']) mkdirSync(join(dir, 'src', d), { recursive: true });
  writeFileSync(join(dir, 'src/lab/lab.ts'), "import { render } from '../report/html.ts';\nexport const lab = render;\n");
  writeFileSync(join(dir, 'src/report/html.ts'), "import { lab } from '../lab/lab.ts';\nexport const render = () => lab;\n");
  writeFileSync(join(dir, 'src/stats/a.ts'), "import { b } from './b.ts';\nexport const a = () => b;\n");
  writeFileSync(join(dir, 'src/stats/b.ts'), "import { a } from './a.ts';\nexport const b = () => a;\n");
  writeFileSync(join(dir, 'src/cli.ts'), "import { lab } from './lab/lab.ts';\nimport { a } from './stats/a.ts';\nconsole.log(lab, a);\n");
  const r = await execa(bin('depcruise'), ['src', '--config', config, '--output-type', 'err'], { cwd: dir, reject: false, all: true });
  assert.notEqual(r.exitCode, 0);
  assert.match(r.all, /no-import-up-from-lab: src\/lab\/lab\.ts → src\/report\/html\.ts/);
  assert.match(r.all, /no-circular: src\/stats\/a\.ts → /);
});

test('knip finds no unused file, export or dependency', async () => {
  const r = await execa(bin('knip'), ['--no-progress', '--reporter', 'compact'], { cwd: root, reject: false, all: true });
  assert.equal(r.exitCode, 0, r.all);
});
