// What the stargz and SOCI daemons say of their reads: their Prometheus text, summed over layers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { promSum } from '../../src/systems/metrics.ts';

const TEXT = `# HELP stargz_fs_bytes_served The number of bytes served per stargz snapshotter operations.
# TYPE stargz_fs_bytes_served gauge
stargz_fs_bytes_served{layer="sha256:aa",operation_type="on_demand_bytes_served"} 4.194304e+06
stargz_fs_bytes_served{layer="sha256:bb",operation_type="on_demand_bytes_served"} 1736536
stargz_fs_bytes_served{layer="sha256:bb",operation_type="on_demand_bytes_fetched"} 999
stargz_fs_bytes_served_total{operation_type="on_demand_bytes_served"} 7
stargz_fs_operation_count{layer="sha256:aa",operation_type="on_demand_read_access_count"} 12
`;

test('the bytes a daemon served to reads: every layer of the one series, no other series or metric', () => {
  assert.equal(promSum(TEXT, 'stargz_fs_bytes_served', { operation_type: 'on_demand_bytes_served' }), 5930840);
  assert.equal(promSum(TEXT, 'stargz_fs_bytes_served', { operation_type: 'on_demand_bytes_served', layer: 'sha256:bb' }), 1736536);
  assert.equal(promSum(TEXT, 'soci_fs_bytes_served', { operation_type: 'synchronous_bytes_served' }), 0, 'nothing read yet: no series');
  assert.equal(promSum('', 'x', {}), 0);
});
