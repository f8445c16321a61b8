// Errors of the lab a user can act on.
import { UserError } from '../errors.ts';

export class LabError extends UserError {}
