// Errors a user can act on are printed as one line; anything else is a bug and keeps its stack.
import { CatalogError } from '../catalog/load.ts';
import { DaemonError } from '../lab/daemon.ts';
import { LabError } from '../lab/errors.ts';
import { MissingToolError } from '../lab/tools.ts';
import { RegistryError } from '../images/registry.ts';
import { ReportError } from '../report/input.ts';
import { LinkError } from '../lab/link.ts';
import { BuildError } from '../images/debian.ts';

export class UsageError extends Error {}

const USER_ERRORS = [UsageError, CatalogError, DaemonError, LabError, MissingToolError, RegistryError, ReportError, LinkError, BuildError];

export function isUserError(err: unknown): err is Error {
  return USER_ERRORS.some((E) => err instanceof E);
}
