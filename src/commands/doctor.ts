// doctor: says, component by component and system by system, whether the lab can run here
// and what to do if not.
import { CONTAINERDS, DEFAULT_CONTAINERD } from '../lab/containerd.ts';
import { MissingToolError, tool, toolVersion, type LabToolName, type Tool } from '../lab/tools.ts';
import { SYSTEMS } from '../systems/index.ts';
import { DEFAULT_RUNTIME, RUNTIMES } from '../runtimes/index.ts';

interface Check { what: string; ok: boolean; detail: string }

/** What every mode needs, whatever its system. */
const COMMON: LabToolName[] = ['runc', 'docker-registry', 'skopeo', 'umoci', 'busybox', 'umount', 'ip', 'tc', 'delay-line'];

async function toolCheck(t: Tool | LabToolName): Promise<Check> {
  const name = typeof t === 'string' ? t : t.name;
  try {
    const path = tool(t);
    const v = await toolVersion(t);
    return { what: name, ok: true, detail: `${path}${v === 'n/a' ? '' : ` ${v}`}` };
  } catch (err) {
    return { what: name, ok: false, detail: err instanceof MissingToolError ? err.message : String(err) };
  }
}

const line = (c: Check) => `${c.ok ? 'ok     ' : 'MISSING'} ${c.what.padEnd(24)} ${c.detail}\n`;

export async function doctorCommand(): Promise<number> {
  const out = (s: string) => process.stdout.write(s);
  const root = process.getuid?.() === 0;
  const common: Check[] = [{ what: 'root', ok: root, detail: root ? 'running as root' : 'the lab needs root: run hellobench with sudo' }];
  for (const name of COMMON) common.push(await toolCheck(name));
  out('components\n');
  for (const c of common) out(line(c));

  out('\ncontainerd (--containerd)\n');
  let defaultOk = false;
  for (const build of Object.values(CONTAINERDS)) {
    const checks = await Promise.all([build.containerd, build.ctr, build.shim].map(toolCheck));
    const ok = checks.every((c) => c.ok);
    if (build.id === DEFAULT_CONTAINERD) defaultOk = ok;
    const detail = ok ? checks[0]!.detail : checks.filter((c) => !c.ok).map((c) => c.detail).join('; ');
    out(line({ what: `${build.id}${build.id === DEFAULT_CONTAINERD ? ' (default)' : ''}`, ok, detail: `${build.label}: ${detail}` }));
  }

  out('\nruntimes (--runtime)\n');
  for (const r of RUNTIMES) {
    const problems = [...(await Promise.all(r.tools.map(toolCheck))).filter((c) => !c.ok).map((c) => c.detail), ...(r.hostProblems?.() ?? [])];
    out(line({ what: `${r.name}${r.name === DEFAULT_RUNTIME ? ' (default)' : ''}`, ok: problems.length === 0, detail: problems.length ? problems.join('; ') : r.title }));
  }

  out('\nsystems\n');
  let ready = 0;
  for (const s of SYSTEMS) {
    const problems = [
      ...(await Promise.all(s.tools.map(toolCheck))).filter((c) => !c.ok).map((c) => c.detail),
      ...s.hostChecks().filter((h) => h.problem).map((h) => h.problem!),
    ];
    if (!s.modes.length && !problems.length) problems.push('no mode is defined for it yet');
    const ok = problems.length === 0;
    if (ok) ready++;
    const modes = s.modes.map((m) => m.name).join(', ');
    out(`${ok ? 'ready    ' : 'not ready'} ${s.name.padEnd(10)} ${s.title}${modes ? ` [modes: ${modes}]` : ''}\n`);
    for (const p of problems) out(`          ${''.padEnd(10)} ${p}\n`);
  }
  const missing = common.filter((c) => !c.ok).length + (defaultOk ? 0 : 1);
  out(missing
    ? `\n${missing} problem(s) with the components: fix them (most by running scripts/setup.sh) and run doctor again\n`
    : `\nall components present; ${ready} of ${SYSTEMS.length} systems ready\n`);
  return missing ? 1 : 0;
}
