// The one base of every error a user can act on (bad input, a missing tool, a daemon that
// will not start): the command line prints its message as one line and exits 2. Any other
// error is a bug and keeps its stack.
export class UserError extends Error {
  override name = this.constructor.name;
}
