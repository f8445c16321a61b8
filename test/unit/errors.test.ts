import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatalogError } from '../../src/catalog/load.ts';
import { UsageError } from '../../src/commands/errors.ts';
import { UserError } from '../../src/errors.ts';
import { BuildError } from '../../src/images/debian.ts';
import { RegistryError } from '../../src/images/registry.ts';
import { DaemonError } from '../../src/lab/daemon.ts';
import { LabError } from '../../src/lab/errors.ts';
import { LinkError } from '../../src/lab/link.ts';
import { MissingToolError } from '../../src/lab/tools.ts';
import { ReportError } from '../../src/report/input.ts';
import { MetaError } from '../../src/results/metadata.ts';
import { parseModes } from '../../src/systems/index.ts';
import { containerdBuild } from '../../src/lab/containerd.ts';

test('every error a user can act on is a UserError (one line, exit 2); a bug is not', () => {
  for (const E of [UsageError, CatalogError, BuildError, RegistryError, DaemonError, LabError, LinkError, MissingToolError, ReportError, MetaError]) {
    const e = new E('what is wrong; what to do');
    assert.ok(e instanceof UserError, E.name);
    assert.equal(e.name, E.name);
  }
  assert.throws(() => parseModes('legacy,warp'), (e: Error) => e instanceof UserError && /unknown mode "warp": choose from legacy/.test(e.message));
  assert.throws(() => containerdBuild('9'), (e: Error) => e instanceof UserError && /--containerd: unknown "9"/.test(e.message));
  assert.ok(!(new TypeError('a bug') instanceof UserError));
});
