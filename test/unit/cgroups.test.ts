// The host's cgroup layout from mountinfo fixtures of each kind, and the runc settings it gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cgroupDriver, parseCgroupLayout, runcCgroups, type CgroupLayout } from '../../src/lab/cgroups.ts';
import { LabError } from '../../src/lab/errors.ts';
import { NAMESPACE } from '../../src/lab/lab.ts';
import { HYBRID, V1, V2_CONTROLLERS, V2_HOST, V2_JOB_CONTAINER } from '../support/mountinfo.ts';

const V1_CONTROLLERS = ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'];
const noSystemd = () => false;
const systemdRuns = (p: string) => p === '/run/systemd/system';

test('this machine\'s mountinfo: v1 controllers beside a cgroup2 mount is hybrid; without it, v1', () => {
  const asked: string[] = [];
  const hybrid = parseCgroupLayout(HYBRID, (p) => { asked.push(p); return undefined; }, noSystemd);
  assert.deepEqual(hybrid, { mode: 'hybrid', root: '/sys/fs/cgroup', controllers: V1_CONTROLLERS, systemd: false, accounting: '/sys/fs/cgroup/cpuacct', unified: '/sys/fs/cgroup/unified' });
  assert.deepEqual(asked, [], 'v1 controllers come from the mounts, not from a file');
  // name=systemd is a named hierarchy, not a controller.
  assert.ok(!hybrid.controllers.some((c) => c.includes('systemd')));
  assert.deepEqual(parseCgroupLayout(V1, () => undefined, noSystemd), { mode: 'v1', root: '/sys/fs/cgroup', controllers: V1_CONTROLLERS, systemd: false, accounting: '/sys/fs/cgroup/cpuacct' });
});

test('a unified hierarchy alone is v2, its controllers read from the root\'s cgroup.controllers; systemd only where it runs', () => {
  const read = (p: string) => (p === '/sys/fs/cgroup/cgroup.controllers' ? V2_CONTROLLERS : undefined);
  const host = parseCgroupLayout(V2_HOST, read, systemdRuns);
  assert.deepEqual(host, { mode: 'v2', root: '/sys/fs/cgroup', controllers: ['cpu', 'cpuset', 'hugetlb', 'io', 'memory', 'misc', 'pids', 'rdma'], systemd: true, accounting: '/sys/fs/cgroup', unified: '/sys/fs/cgroup' });
  const job = parseCgroupLayout(V2_JOB_CONTAINER, read, noSystemd);
  assert.equal(job.mode, 'v2');
  assert.equal(job.systemd, false, 'no systemd inside the job container');
  assert.deepEqual(job.controllers, host.controllers);
  // An unreadable cgroup.controllers leaves the list empty rather than guessing.
  assert.deepEqual(parseCgroupLayout(V2_HOST, () => undefined, noSystemd).controllers, []);
});

test('mount points are unescaped, and a machine without any cgroup mount is an error naming what to do', () => {
  const spaced = '50 23 0:30 / /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw\n';
  assert.equal(parseCgroupLayout(spaced, () => 'memory', noSystemd).root, '/mnt/my cgroup');
  assert.throws(() => parseCgroupLayout('22 27 0:21 / /proc rw - proc proc rw\n', () => undefined, noSystemd),
    (e: Error) => e instanceof LabError && /mount cgroup2 at \/sys\/fs\/cgroup/.test(e.message) && !e.message.includes('\n'));
});

test('runc is told the cgroupfs driver on every layout, with an absolute parent off the hierarchy\'s root', () => {
  const layouts: CgroupLayout[] = [
    parseCgroupLayout(HYBRID, () => undefined, noSystemd),
    parseCgroupLayout(V2_HOST, () => V2_CONTROLLERS, systemdRuns),
    parseCgroupLayout(V2_JOB_CONTAINER, () => V2_CONTROLLERS, noSystemd),
  ];
  for (const l of layouts) {
    assert.equal(cgroupDriver(l), 'cgroupfs', l.mode);
    assert.deepEqual(runcCgroups(l), { driver: 'cgroupfs', systemdCgroup: false, parent: '/hellobench' });
    // ctr's containers land at /<namespace>/<id>: under the same parent as the pods.
    assert.equal(runcCgroups(l).parent, `/${NAMESPACE}`);
  }
});
