import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LabError } from '../../src/lab/errors.ts';
import { lockMachine } from '../../src/lab/lock.ts';

test('one lab per machine: a live holder is named and refused, a killed one\'s lock is taken over', () => {
  const base = join(mkdtempSync(join(tmpdir(), 'hb-lock-')), 'labs');
  const release = lockMachine(base);
  assert.equal(readFileSync(join(base, 'lock'), 'utf8'), `${process.pid}\n`);
  assert.equal(statSync(base).mode & 0o777, 0o700, 'the labs\' directory is root\'s alone');
  release();
  assert.ok(!existsSync(join(base, 'lock')));
  // A live hellobench (this test's parent is a node process) holds it: refused, naming it.
  writeFileSync(join(base, 'lock'), `${process.ppid}\n`);
  assert.throws(() => lockMachine(base), (e: Error) => e instanceof LabError
    && e.message === `another hellobench (pid ${process.ppid}) runs a lab on this machine; two would disturb each other's samples: wait for it to end, or stop it with kill -INT ${process.ppid}`);
  assert.equal(readFileSync(join(base, 'lock'), 'utf8'), `${process.ppid}\n`, 'the holder keeps its lock');
  // A holder that is gone: taken over.
  writeFileSync(join(base, 'lock'), '2147483646\n');
  const again = lockMachine(base);
  assert.equal(readFileSync(join(base, 'lock'), 'utf8'), `${process.pid}\n`);
  again();
});
