#!/usr/bin/env node
// Runs the command line; user errors are one line, exit 2.
import { UserError } from './errors.ts';
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync();
} catch (err) {
  if (!(err instanceof UserError)) throw err;
  process.stderr.write(`hellobench: ${err.message}\n`);
  process.exitCode = 2;
}
