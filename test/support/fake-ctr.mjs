#!/usr/bin/env node
// A stand-in for `ctr` in unit tests of the sampler: `container create` succeeds, `task start`
// runs the created command's effect (prints what FAKE_CTR_OUTPUT says, after FAKE_CTR_DELAY_MS)
// and exits with FAKE_CTR_EXIT. FAKE_CTR_STDERR: lines printed on stderr first, as containerd 2's
// ctr prints its own warnings and forwards the container's stderr. It only exists so the sampler
// can be tested without root.
const args = process.argv.slice(2);
const verb = args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ');
const delay = Number(process.env.FAKE_CTR_DELAY_MS ?? 20);
if (verb.endsWith('container create') || args.includes('create')) process.exit(Number(process.env.FAKE_CTR_CREATE_EXIT ?? 0));
if (args.includes('start')) {
  if (process.env.FAKE_CTR_STDERR) process.stderr.write(`${process.env.FAKE_CTR_STDERR}\n`);
  setTimeout(() => {
    process.stdout.write(`${process.env.FAKE_CTR_OUTPUT ?? 'hello'}\n`);
    if (process.env.FAKE_CTR_HANG) setTimeout(() => {}, 60_000);
    else process.exit(Number(process.env.FAKE_CTR_EXIT ?? 0));
  }, delay);
} else {
  process.exit(0);
}
