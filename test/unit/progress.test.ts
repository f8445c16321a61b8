// The run's progress counter: re-takes apart from the plan, so it never runs past its total.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planProgress, progressCount, progressLine } from '../../src/bench/progress.ts';
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

test("a sample's line says what --warm and --after-ready added: the second start, the load's answers and p99s", () => {
  const base = {
    workload: 'web', mode: 'estargz', status: 'ok', phases: { pull: 0.5, create: 0.1, run: 1 }, total: 1.6, image_bytes: 50e6,
    bytes_fetched: { pull: 1e6, create: 0, run: 2e6, total: 3e6 },
  } as unknown as Sample;
  assert.doesNotMatch(progressLine(base, 0, '[1/2]'), /second start|after ready/);
  const line = progressLine({
    ...base, warm: { status: 'ok', phases: { create: 0.05, run: 0.2 }, total: 0.25, bytes_fetched: 0, requests: 0 },
    after_ready: { rate: 50, seconds: 2, target: '80/', sent: 100, answered: 99, errors: 1, bytes_fetched: 0, requests_fetched: 0,
      per_second: [{ second: 0, answered: 49, errors: 1, p50_ms: 2, p99_ms: 40.04 }, { second: 1, answered: 50, errors: 0, p50_ms: 1, p99_ms: 3 }] },
  }, 0, '[1/2]');
  assert.match(line, /total 1\.60 s; 1\.0 of 50\.0 MB fetched before run; second start 0\.25 s; after ready 99\/100 answered, p99 40\.0 ms in second 1, at most 40\.0 ms$/);
});
