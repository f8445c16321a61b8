// A command line the user can correct (a bad flag or value): one line, exit 2, like every UserError.
import { UserError } from '../errors.ts';

export class UsageError extends UserError {}
