// The run's progress counter: re-takes apart from the plan, so it never runs past its total.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planProgress, progressCount } from '../../src/bench/progress.ts';
import type { Sample } from '../../src/results/sample.ts';

const sample = (round: number, workload: string, mode: string) => ({ round, workload, mode }) as Sample;

test('a re-taken sample counts as a re-take, not as progress on the plan', () => {
  const samples = [sample(0, 'a', 'legacy'), sample(0, 'a', 'estargz'), sample(0, 'a', 'legacy'), sample(0, 'a', 'legacy'), sample(1, 'a', 'legacy')];
  assert.deepEqual(planProgress(samples), { done: 3, retaken: 2 });
  assert.deepEqual(planProgress([]), { done: 0, retaken: 0 });
});

test('the counter shows the plan, the re-takes and the time left, and stays within its total', () => {
  assert.equal(progressCount({ done: 18, planned: 18, retaken: 3, secondsEach: 8, left: 0 }), '[18/18] +3 retaken');
  assert.equal(progressCount({ done: 4, planned: 18, retaken: 0, secondsEach: 8, left: 14 }), '[4/18], ~2 min left');
  assert.equal(progressCount({ done: 4, planned: 18, retaken: 1, secondsEach: 2, left: 15 }), '[4/18] +1 retaken, ~30 s left');
  assert.equal(progressCount({ done: 1, planned: 140, retaken: 0, secondsEach: 9.5, left: 139 }), '[1/140], ~22 min left');
  // 44 samples of an 18-sample plan, as a busy machine's re-takes made them: the plan is whole at 18.
  const samples = Array.from({ length: 18 }, (_, i) => [sample(0, `w${i % 6}`, `m${Math.floor(i / 6)}`), ...(i < 13 ? [sample(0, `w${i % 6}`, `m${Math.floor(i / 6)}`)] : [])]).flat();
  const p = planProgress([...samples, ...samples.slice(0, 13)]);
  assert.ok(p.done <= 18, `${p.done}`);
  assert.equal(progressCount({ ...p, planned: 18, left: 0 }), `[18/18] +${p.retaken} retaken`);
});
