#!/usr/bin/env node
// Runs the command line. Exit status: 0 done; 1 it ran but failed its own test (samples past
// --max-failed, a regression, a missing component); 2 it could not run (a user error: bad
// input, a missing tool, a lab that would not start: one line); 3 a bug (with its stack).
import { UserError } from './errors.ts';
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync();
} catch (err) {
  if (err instanceof UserError) {
    process.stderr.write(`hellobench: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`hellobench: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(3); // at once, as an uncaught error would: nothing half-done keeps it alive
  }
}
