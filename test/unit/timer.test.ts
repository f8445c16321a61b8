import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeProcess, timeUntil, timeUntilLine } from '../../src/timing/timer.ts';
import { createArgv } from '../../src/runtimes/ctr.ts';
import { isClientWarning, ProcessOutput } from '../../src/timing/output.ts';
import { parseCatalog } from '../../src/catalog/load.ts';
import { modeByName } from '../../src/systems/index.ts';

const node = process.execPath;

test('timeProcess times a real process and keeps its exit code and output', async () => {
  const r = await timeProcess([node, '-e', 'setTimeout(() => { console.log("hi"); process.exit(3) }, 200)'], { timeoutS: 10 });
  assert.equal(r.exitCode, 3);
  assert.match(r.output, /hi/);
  assert.ok(r.seconds >= 0.2 && r.seconds < 5, `seconds ${r.seconds}`);
});

test('timeProcess feeds stdin and reports a timeout', async () => {
  const echo = await timeProcess([node, '-e', 'process.stdin.pipe(process.stdout)'], { timeoutS: 10, input: 'from stdin\n' });
  assert.equal(echo.output.trim(), 'from stdin');
  const slow = await timeProcess([node, '-e', 'setTimeout(() => {}, 10000)'], { timeoutS: 0.3 });
  assert.equal(slow.timedOut, true);
  assert.ok(slow.seconds < 5);
});

test('timeUntilLine stops the clock at the wait line, not at the exit', async () => {
  let stopped = false;
  const r = await timeUntilLine([node, '-e', 'setTimeout(() => console.log("x: server ready now"), 300); setTimeout(() => {}, 1500)'], 'server ready', {
    timeoutS: 10, stop: async () => { stopped = true; },
  });
  assert.equal(r.found, true);
  assert.equal(stopped, true);
  assert.ok(r.seconds >= 0.3 && r.seconds < 1.4, `seconds ${r.seconds} should end at the line, before the exit at 1.5 s`);
});

test('timeUntilLine reports a line that never comes as a timeout', async () => {
  const r = await timeUntilLine([node, '-e', 'console.log("starting"); setTimeout(() => {}, 10000)'], 'ready', { timeoutS: 0.5, stop: async () => {} });
  assert.equal(r.found, false);
  assert.equal(r.timedOut, true);
});

test('create puts -- between the container id and the workload command, and refuses a cgroup driver whose form ctr cannot give', () => {
  const [w] = parseCatalog(`workloads:
  - name: py
    category: language
    image: { ref: r/py:1 }
    pattern: cmd-arg
    args: [python3, -c, "print('hello')"]
    env: { K: v }
    mounts: [{ source: /s, target: /t }]
`, 'w.yaml', { allowOutsideMounts: true });
  const cgroups = { driver: 'cgroupfs', systemdCgroup: false, parent: '/hellobench' } as const;
  const lab = { ctr: 'ctr', ctrArgs: ['--address', 'sock', '--namespace', 'hb'], dir: '/none', cgroups, labDir: '/lab', containerdSock: 'sock' };
  const argv = createArgv(lab, w!, modeByName('estargz'), 'host/py:esgz', 'id1');
  const tail = argv.slice(argv.indexOf('create') + 1);
  assert.deepEqual(tail, ['--snapshotter', 'stargz', '--env', 'K=v', '--mount', 'type=bind,src=/s,dst=/t,options=rbind:ro',
    'host/py:esgz', 'id1', '--', 'python3', '-c', "print('hello')"]);
  const legacy = createArgv(lab, w!, modeByName('legacy'), 'host/py:org', 'id2');
  assert.deepEqual(legacy.slice(legacy.indexOf('create') + 1, legacy.indexOf('create') + 3), ['--snapshotter', 'overlayfs']);
  // ctr container create has no --cgroup: containers get /<namespace>/<id>, fit for cgroupfs only.
  assert.throws(() => createArgv({ ...lab, cgroups: { driver: 'systemd', systemdCgroup: true, parent: 'hellobench.slice' } }, w!, modeByName('legacy'), 'host/py:org', 'id3'), /systemd cgroup driver: use --runtime cri/);
});

test('timeUntil: the clock stops at the first outcome (or the runtime\'s own end moment), and whatever still waits is told to stop', async () => {
  let aborted = false;
  const r = await timeUntil(async (signal) => {
    signal.addEventListener('abort', () => { aborted = true; });
    await new Promise((res) => setTimeout(res, 50));
    return {};
  }, 5);
  assert.equal(r.timedOut, false);
  assert.ok(r.seconds >= 0.045 && r.seconds < 1, `${r.seconds}`);
  assert.ok(aborted, 'a wait that lost the race would otherwise keep the process alive');
  // The runtime recorded the end 30 ms after the start; the client learnt of it later.
  const t0 = performance.timeOrigin + performance.now();
  const e = await timeUntil(async () => {
    await new Promise((res) => setTimeout(res, 120));
    return { endedAtMs: t0 + 30 };
  }, 5);
  assert.ok(Math.abs(e.seconds - 0.03) < 0.01, `${e.seconds}`);
  const never = await timeUntil(() => new Promise<Record<string, never>>(() => {}), 0.1);
  assert.equal(never.timedOut, true);
});

test("recorded lines: ctr's logrus warnings on stderr leave the output and stdout; the container's own lines on both streams stay", () => {
  const out = new ProcessOutput();
  const warning = 'time="2026-12-07T10:41:07Z" level=warning msg="DEPRECATION: The support for cgroup v1 is deprecated since containerd v2.2 and will be removed by no later than May 2029. Upgrade the host to use cgroup v2."';
  assert.deepEqual(out.push('stderr', `${warning}\nWARN[0000] DEPRECATION: on a tty\npostgres: LOG:  database system is rea`), []);
  assert.deepEqual(out.push('stdout', 'hel'), [], 'no whole line yet');
  assert.deepEqual(out.push('stderr', 'dy to accept connections\n'), [{ stream: 'stderr', text: 'postgres: LOG:  database system is ready to accept connections' }]);
  // A workload printing logrus-like text on its stdout keeps it: only the client's stderr is filtered.
  out.push('stdout', 'lo\ntime="x" level=warning msg="from the workload"\n');
  assert.deepEqual(out.end(), []);
  out.push('stdout', 'last line without newline');
  assert.deepEqual(out.end(), [{ stream: 'stdout', text: 'last line without newline' }]);
  assert.equal(out.text(), 'postgres: LOG:  database system is ready to accept connections\nhello\ntime="x" level=warning msg="from the workload"\nlast line without newline');
  assert.equal(out.stdout(), 'hello\ntime="x" level=warning msg="from the workload"\nlast line without newline');
  assert.equal(out.lines.filter(isClientWarning).length, 2, 'both warning forms recognised');
});

test('timeProcess keeps the streams apart: stdout for expect, both (without client warnings) for the output', async () => {
  const script = 'console.error(\'time="t" level=warning msg="DEPRECATION: cgroup v1"\'); console.log("hello"); console.error("oops")';
  const r = await timeProcess([node, '-e', script], { timeoutS: 10 });
  assert.equal(r.stdout, 'hello');
  assert.deepEqual(r.output.split('\n').sort(), ['hello', 'oops']);
});
