// run.json's host: the machine's size and cgroup set-up, recorded at run start, read back from
// old and new files, and shown in the report's environment and the history's runs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildHistory } from '../../src/history/build.ts';
import { findRuns } from '../../src/history/runs.ts';
import { runsTable, verdictLine } from '../../src/history/tables.ts';
import { hostCgroups } from '../../src/lab/cgroups.ts';
import { buildReport } from '../../src/report/index.ts';
import { readMeta, type HostInfo } from '../../src/results/metadata.ts';
import { diskGib, hostInfo } from '../../src/bench/provenance.ts';
import { syntheticMeta, syntheticSamples } from '../support/synthetic.ts';
import { resultSetMeta, writeResultSet } from '../support/result-sets.ts';

const root = mkdtempSync(join(tmpdir(), 'hb-host-'));
after(() => rmSync(root, { recursive: true, force: true }));

const V2_HOST: HostInfo = { kernel: '6.11.0', cpu: 'AMD EPYC 7763', cores: 4, memory_gib: 16, runner: 'GitHub Actions 3', cgroup: { mode: 'v2', driver: 'cgroupfs' }, disk_gib: { total: 145.2, free: 71.4 } };

test('hostInfo records the cgroup layout and the lab filesystem\'s size at run start', () => {
  const h = hostInfo();
  assert.equal(h.cgroup?.mode, hostCgroups().mode);
  assert.equal(h.cgroup?.driver, 'cgroupfs');
  assert.ok(h.disk_gib && h.disk_gib.total > 0 && h.disk_gib.free >= 0 && h.disk_gib.free <= h.disk_gib.total, JSON.stringify(h.disk_gib));
  // A lab directory not made yet is measured on the filesystem that will hold it.
  assert.deepEqual(diskGib(join(root, 'not', 'yet')).total, diskGib(root).total);
});

test('a run.json from before the host\'s cgroup and disk fields still reads; a wrong cgroup mode is named', () => {
  const old = syntheticMeta(['a'], ['legacy']);
  assert.equal(old.host.cgroup, undefined);
  const file = join(root, 'run.json');
  writeFileSync(file, JSON.stringify(old));
  assert.deepEqual(readMeta(file).host, old.host);
  writeFileSync(file, JSON.stringify({ ...old, host: V2_HOST }));
  assert.deepEqual(readMeta(file).host, V2_HOST);
  writeFileSync(file, JSON.stringify({ ...old, host: { ...V2_HOST, cgroup: { mode: 'v3', driver: 'cgroupfs' } } }));
  assert.throws(() => readMeta(file), /host\.cgroup\.mode/);
});

test('the report\'s environment shows the machine\'s size and cgroup set-up, "unknown" for older runs', async () => {
  for (const [name, host, line] of [
    ['new', V2_HOST, '|machine|4 vCPU, 16 GiB RAM, disk 71.4/145.2 GiB free, cgroup v2 (cgroupfs)|'],
    ['old', syntheticMeta([], []).host, '|machine|2 vCPU, 24 GiB RAM, disk unknown, cgroup unknown|'],
  ] as const) {
    const dir = join(root, `report-${name}`);
    writeResultSet(dir, syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 3 }), { ...syntheticMeta(['a'], ['legacy', 'estargz']), host });
    await buildReport(dir, { percentile: 95 });
    const md = readFileSync(join(dir, 'summary.md'), 'utf8');
    assert.ok(md.includes(line), `${name}: ${md.split('\n').filter((l) => l.includes('machine')).join('\n')}`);
  }
});

test('history: each run\'s machine is listed, and a comparison across unlike machines says so', () => {
  const dirs = [1, 2, 3].map((i) => {
    const samples = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 5, seed: i });
    const meta = resultSetMeta(samples, { run_id: `run-${i}`, started_at: new Date(Date.UTC(2026, 11, i)).toISOString() });
    // Runs 1 and 2 on this machine kind (disk free differs, which does not make machines unlike); run 3 on a v2 runner.
    const host = i === 3 ? V2_HOST : { ...meta.host, cgroup: { mode: 'hybrid' as const, driver: 'cgroupfs' as const }, disk_gib: { total: 100, free: 50 - i } };
    return writeResultSet(join(root, `hist-${i}`), samples, { ...meta, host });
  });
  const { runs } = findRuns(dirs);
  const h = buildHistory(runs, { minChange: 0.05, keepDisturbed: false });
  const table = runsTable(h);
  const machine = (run: string) => table.rows.find((r) => r[0] === run)![table.header.indexOf('machine')]!;
  assert.equal(machine('run-2'), '2 vCPU, 24 GiB RAM, disk 48/100 GiB free, cgroup hybrid (cgroupfs)');
  assert.equal(machine('run-3'), "4 vCPU, 16 GiB RAM, disk 71.4/145.2 GiB free, cgroup v2 (cgroupfs); unlike run-2's machine");
  assert.match(verdictLine(h), /unlike machines \(AMD EPYC 7763, 4 vCPU, 16 GiB RAM, cgroup v2 \(cgroupfs\); run-2: synthetic, 2 vCPU, 24 GiB RAM, cgroup hybrid \(cgroupfs\)\)/);
  const h2 = buildHistory(runs.slice(0, 2), { minChange: 0.05, keepDisturbed: false });
  assert.doesNotMatch(verdictLine(h2), /unlike/);
});
