// The systems table and what each system hands the lab: modes, containerd's config, host checks.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONTAINERDS, renderContainerdConfig } from '../../src/lab/containerd.ts';
import { CNI_BRIDGE, CNI_NETWORK, criConfigLines } from '../../src/runtimes/cri-node.ts';
import { parseCgroupLayout, runcCgroups, type RuncCgroups } from '../../src/lab/cgroups.ts';
import { criLogText, podSandboxConfig } from '../../src/runtimes/cri.ts';
import { HYBRID, V2_CONTROLLERS, V2_JOB_CONTAINER } from '../support/mountinfo.ts';
import { kernelOption } from '../../src/systems/host.ts';
import { MODES, SYSTEMS, modeByName, orderModes } from '../../src/systems/index.ts';
import { readProfile } from '../../src/systems/profile.ts';
import { builderError } from '../../src/systems/nydus.ts';

test('every mode belongs to a listed system, with a unique name and tag; exactly one mode profiles', () => {
  assert.deepEqual(MODES.map((m) => m.name), ['legacy', 'estargz-noopt', 'estargz', 'zstdchunked', 'nydus', 'nydus-prefetch', 'soci']);
  for (const m of MODES) assert.ok(SYSTEMS.includes(m.system), `${m.name}: system ${m.system.name} is in the table`);
  assert.equal(new Set(MODES.map((m) => m.tag)).size, MODES.length);
  assert.deepEqual(MODES.filter((m) => m.profile === 'records').map((m) => m.name), ['estargz']);
  assert.deepEqual(MODES.filter((m) => m.profile === 'reads').map((m) => m.name), ['nydus-prefetch']);
  assert.deepEqual(MODES.filter((m) => m.baseline).map((m) => m.name), ['legacy']);
  // Lazy systems prove laziness; the baseline converts nothing.
  for (const s of SYSTEMS.filter((x) => x.daemon && x.modes.length)) assert.ok(s.lazyProof && s.convert, s.name);
  assert.equal(modeByName('legacy').system.convert, undefined);
  assert.deepEqual(orderModes(['soci', 'mystery', 'legacy', 'nydus']), ['legacy', 'nydus', 'soci', 'mystery']);
});

test("containerd's config names only the mode's proxy snapshotter; containerd 2 unpacks with it", () => {
  const base = { root: '/r', state: '/s', socket: '/l/c.sock', optDir: '/o' };
  const proxy = { name: 'nydus', socket: '/l/n.sock', lines: ['[proxy_plugins.nydus.exports]', '  enable_remote_snapshot_annotations = "true"'], unpack: true };
  const v3 = renderContainerdConfig(CONTAINERDS['2']!, { ...base, proxy });
  assert.match(v3, /^version = 3\n/);
  assert.match(v3, /\[proxy_plugins\.nydus\]\n {2}type = "snapshot"\n {2}address = "\/l\/n\.sock"\n {2}\[proxy_plugins\.nydus\.exports\]/);
  assert.match(v3, /snapshotter = "overlayfs" },\n.*snapshotter = "nydus" },/);
  const v2 = renderContainerdConfig(CONTAINERDS['1.6']!, { ...base, proxy });
  assert.match(v2, /^version = 2\n/);
  assert.doesNotMatch(v2, /unpack_config/);
  const none = renderContainerdConfig(CONTAINERDS['2']!, base);
  assert.doesNotMatch(none, /proxy_plugins|unpack_config/);
  // Without the CRI runtime its plugins stay off.
  assert.match(none, /disabled_plugins = \[[^\]]*"io\.containerd\.grpc\.v1\.cri"/);
});

test("the CRI runtime's containerd config: the Quick Starts' snapshotter lines, a lab-owned CNI network and pause image", () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-cri-'));
  const cgroups = runcCgroups(parseCgroupLayout(HYBRID, () => undefined, () => false));
  const cri = criConfigLines({ containerdDir: dir, snapshotter: 'stargz', sandboxImage: '127.0.0.1:5000/hellobench/pause:abc', registryHosts: ['10.1.0.2:5000', '127.0.0.1:5000'], cgroups });
  const v3 = renderContainerdConfig(CONTAINERDS['2']!, { root: '/r', state: '/s', socket: '/l/c.sock', optDir: '/o', cri });
  assert.doesNotMatch(v3, /disabled_plugins = \[[^\]]*cri/, 'the CRI plugins are on');
  assert.match(v3, /\[plugins\."io\.containerd\.cri\.v1\.images"\]\n {2}snapshotter = "stargz"\n {2}disable_snapshot_annotations = false\n/);
  assert.match(v3, /sandbox = "127\.0\.0\.1:5000\/hellobench\/pause:abc"/);
  assert.match(v3, /netns_mounts_under_state_dir = true/);
  assert.match(v3, new RegExp(`conf_dir = "${join(dir, 'cni')}"`));
  assert.match(v3, /stream_server_address = "127\.0\.0\.1"/);
  // Plain HTTP to each registry host, and a bridge network whose addresses live in containerd's directory.
  assert.match(readFileSync(join(dir, 'certs.d', '10.1.0.2:5000', 'hosts.toml'), 'utf8'), /^server = "http:\/\/10\.1\.0\.2:5000"\n\[host\."http:\/\/10\.1\.0\.2:5000"\]/);
  const net = JSON.parse(readFileSync(join(dir, 'cni', '10-hellobench.conflist'), 'utf8'));
  assert.equal(net.name, CNI_NETWORK);
  assert.deepEqual({ ...net.plugins[0], ipam: undefined }, { type: 'bridge', bridge: CNI_BRIDGE, isGateway: true, ipMasq: false, hairpinMode: false, ipam: undefined });
  assert.equal(net.plugins[0].ipam.dataDir, join(dir, 'cni-ipam'));
  assert.throws(() => renderContainerdConfig(CONTAINERDS['1.6']!, { root: '/r', state: '/s', socket: '/l/c.sock', optDir: '/o', cri }), /needs containerd 2/);
});

test("runc's cgroup settings are said in containerd's CRI config and in the pod sandbox, per cgroup layout", () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-cri-cg-'));
  const render = (cgroups: RuncCgroups) => renderContainerdConfig(CONTAINERDS['2']!, { root: '/r', state: '/s', socket: '/l/c.sock', optDir: '/o',
    cri: criConfigLines({ containerdDir: dir, snapshotter: 'overlayfs', sandboxImage: 'h/pause:1', registryHosts: ['h'], cgroups }) });
  const runcOptions = /\[plugins\."io\.containerd\.cri\.v1\.runtime"\.containerd\.runtimes\.runc\.options\]\n\s+SystemdCgroup = (\w+)\n/;
  const layouts = { hybrid: parseCgroupLayout(HYBRID, () => undefined, () => false), v2: parseCgroupLayout(V2_JOB_CONTAINER, () => V2_CONTROLLERS, () => false) };
  for (const [name, layout] of Object.entries(layouts)) {
    const cgroups = runcCgroups(layout);
    const toml = render(cgroups);
    assert.equal(runcOptions.exec(toml)?.[1], 'false', `${name}: cgroupfs, said explicitly`);
    assert.match(toml, /default_runtime_name = "runc"\n\s+\[plugins\."io\.containerd\.cri\.v1\.runtime"\.containerd\.runtimes\.runc\]\n\s+runtime_type = "io\.containerd\.runc\.v2"/);
    const pod = podSandboxConfig('s1', '/p/logs', cgroups) as { linux: { cgroup_parent?: string } };
    assert.equal(pod.linux.cgroup_parent, '/hellobench', `${name}: an absolute parent, not one under the shim's own cgroup`);
  }
  // The settings follow the driver: the systemd driver's config and parent form.
  const systemd: RuncCgroups = { driver: 'systemd', systemdCgroup: true, parent: 'hellobench.slice' };
  assert.equal(runcOptions.exec(render(systemd))?.[1], 'true');
  assert.equal((podSandboxConfig('s1', '/p/logs', systemd) as { linux: { cgroup_parent: string } }).linux.cgroup_parent, 'hellobench.slice');
});

test("a CRI container log reads back as the container's output: partial lines joined", () => {
  const raw = ['2026-11-29T03:59:59.1Z stdout F hello', '2026-11-29T03:59:59.2Z stderr P par', '2026-11-29T03:59:59.3Z stderr F tial', '2026-11-29T03:59:59.4Z stdout F ', 'garbage', ''].join('\n');
  assert.equal(criLogText(raw), 'hello\npartial\n\n');
  // expect reads the container's stdout alone.
  assert.equal(criLogText(raw, 'stdout'), 'hello\n\n');
});

test('overlaybd is not ready without a block frontend, and says which kernel options are missing', () => {
  const overlaybd = SYSTEMS.find((s) => s.name === 'overlaybd')!;
  assert.equal(overlaybd.modes.length, 0, 'no mode code for a system nothing here can run');
  const [check] = overlaybd.hostChecks();
  const frontends = ['CONFIG_TARGET_CORE', 'CONFIG_BLK_DEV_UBLK', 'CONFIG_BLK_DEV_NBD'].map(kernelOption);
  if (frontends.every((s) => s === 'n')) {
    assert.match(check!.problem ?? '', /CONFIG_TARGET_CORE is not set, CONFIG_BLK_DEV_UBLK is not set, CONFIG_BLK_DEV_NBD is not set/);
  } else if (frontends.some((s) => s === 'y' || s === 'm')) {
    assert.equal(check!.problem, undefined);
  }
});

test('a profile record gives each read file once, in the order first read; torn lines are skipped', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'hb-profile-')), 'record.jsonl');
  writeFileSync(file, ['{"path":"bin/busybox","layerIndex":0}', '{"path":"opt/x.bin"}', '{"path":"bin/busybox"}', '{"path":"usr/li'].join('\n'));
  assert.deepEqual(readProfile(file).paths, ['bin/busybox', 'opt/x.bin']);
  assert.deepEqual(readProfile(`${file}.missing`).paths, []);
});

test("nydus-image's error is dug out of the converter's log", () => {
  const log = [
    'time="t" level=info msg="[\\x1b[1;38;5;196m2026-11-28\\x1b[0m] ERROR [error.rs:22] Error:" module=builder',
    'time="t" level=info msg="\\t\\"invalid xattr key\\"" module=builder',
    'time="t" level=info msg="\\tat /src/metadata/layout/mod.rs:268" module=builder',
    'time="t" level=info msg="Error: build failed" module=builder',
    'time="t" level=info msg="Caused by:" module=builder',
    'time="t" level=info msg="    Invalid argument (os error 22)" module=builder',
  ].join('\n');
  assert.equal(builderError(log), 'nydus-image: build failed: invalid xattr key: Invalid argument (os error 22)');
  assert.equal(builderError('exit status 1'), undefined);
});
