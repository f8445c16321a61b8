// The job-container runner's reading of a workflow: GitHub's expressions as the workflows use
// them, conditions with their implicit success(), and the step outputs file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { condition, evaluate, interpolate, type Scope, type Value } from '../../ci/expressions.ts';
import { parseOutputs } from '../../ci/job-container.ts';

const scope = (contexts: Record<string, Value>, status: Scope['status'] = 'success'): Scope =>
  ({ contexts, status, hashFiles: (p) => `hash(${p.join(',')})` });

test('an empty input falls back to the default; a given one wins', () => {
  assert.equal(interpolate("${{ inputs.catalogue || 'workloads/debian.yaml' }}", scope({ inputs: { catalogue: '' } })), 'workloads/debian.yaml');
  assert.equal(interpolate("${{ inputs.catalogue || 'workloads/debian.yaml' }}", scope({ inputs: { catalogue: 'workloads/smoke.yaml' } })), 'workloads/smoke.yaml');
  assert.equal(interpolate("${{ inputs.samples || '5' }}", scope({})), '5', 'a scheduled run has no inputs');
});

test('templates join values into strings; a whole expression keeps its type (a matrix from fromJSON)', () => {
  const s = scope({ steps: { images: { outputs: { key: 'abc' } } }, matrix: { shard: 2 }, env: { SHARDS: '3' } });
  assert.equal(interpolate("k-${{ hashFiles('scripts/setup.sh', 'tools/**') }}-${{ steps.images.outputs.key }}-shard-${{ matrix.shard }}-of-${{ env.SHARDS }}", s),
    'k-hash(scripts/setup.sh,tools/**)-abc-shard-2-of-3');
  assert.deepEqual(interpolate('${{ fromJSON(needs.plan.outputs.shards) }}', scope({ needs: { plan: { outputs: { shards: '[1,2]' } } } })), [1, 2]);
  assert.equal(evaluate("steps.restore.outputs['cache-hit']", scope({ steps: { restore: { outputs: { 'cache-hit': 'true' } } } })), 'true');
});

test('conditions: success() is implied, always() and !cancelled() run after a failure, comparisons ignore case', () => {
  const failed = scope({ steps: { prepare: { outcome: 'failure' }, restore: { outputs: { 'cache-hit': 'false' } } } }, 'failure');
  const fine = scope({ steps: { prepare: { outcome: 'success' }, restore: { outputs: { 'cache-hit': 'false' } } } });
  const cond = "steps.prepare.outcome == 'success' && steps.restore.outputs.cache-hit != 'true'";
  assert.equal(condition(cond, fine), true);
  assert.equal(condition(cond, failed), false);
  assert.equal(condition('always()', failed), true);
  assert.equal(condition("${{ !cancelled() && needs.plan.result == 'success' }}", scope({ needs: { plan: { result: 'success' } } }, 'failure')), true);
  assert.equal(condition("${{ !cancelled() && needs.plan.result == 'success' }}", scope({ needs: { plan: { result: 'failure' } } })), false);
  assert.equal(condition(undefined, failed), false, 'a step without if: is skipped after a failure');
  assert.equal(condition("steps.x.outcome == 'SUCCESS'", scope({ steps: { x: { outcome: 'success' } } })), true);
  assert.throws(() => evaluate("steps.x ==", scope({})), /incomplete/);
  assert.throws(() => evaluate('nosuch()', scope({})), /unknown function/);
});

test('the outputs file: name=value lines and heredoc blocks', () => {
  assert.deepEqual(parseOutputs('shards=[1,2]\nkey=a=b\nbody<<EOF\nline 1\nline 2\nEOF\n'), { shards: '[1,2]', key: 'a=b', body: 'line 1\nline 2' });
});
