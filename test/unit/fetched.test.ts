// What a sample fetched (bytes and registry requests) is judged apart from its time: fixed for
// a fixed image and workload, a change of it is the system's whatever the machine did.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sample } from '../../src/results/sample.ts';
import { compareRuns, fetchChange, type Fetched } from '../../src/stats/compare.ts';
import { changeText } from '../../src/history/tables.ts';
import { syntheticSamples } from '../support/synthetic.ts';

/** A cell whose every sample fetched the same (most systems do). */
const fixed = (bytes: number, requests?: number): Fetched => ({ bytes: { median: bytes, min: bytes, max: bytes }, ...(requests === undefined ? {} : { requests: { median: requests, min: requests, max: requests } }) });

test('bytes past 5% and requests past 5% and 2 responses are a change of what was fetched; less is the same', () => {
  assert.equal(fetchChange(fixed(100, 20), fixed(106, 20)).verdict, 'regression');
  assert.equal(fetchChange(fixed(100, 20), fixed(104, 20)).verdict, 'same');
  assert.equal(fetchChange(fixed(100, 20), fixed(90, 20)).verdict, 'improvement');
  // One more response of ten is 10%, but a single request: the same.
  assert.equal(fetchChange(fixed(100, 10), fixed(100, 11)).verdict, 'same');
  assert.equal(fetchChange(fixed(100, 20), fixed(100, 23)).verdict, 'regression');
  assert.equal(fetchChange(fixed(100, 20), fixed(100, 17)).verdict, 'improvement');
  // More of either wins over less of the other; runs without request counts are judged on bytes.
  assert.equal(fetchChange(fixed(100, 20), fixed(80, 24)).verdict, 'regression');
  const old = fetchChange(fixed(100), fixed(100, 50));
  assert.equal(old.verdict, 'same');
  assert.equal(old.requests, undefined);
  assert.equal(fetchChange(fixed(0), fixed(10)).verdict, 'regression');
});

test('a system whose fetches vary from sample to sample is judged against its own spread', () => {
  // SOCI's hello on this VM: 1.72-2.03 MB and 14-15 requests in two back-to-back runs.
  const soci = (min: number, med: number, max: number): Fetched => ({ bytes: { median: med, min, max }, requests: { median: 14, min: 14, max: 15 } });
  assert.equal(fetchChange(soci(1.96e6, 1.99e6, 2.03e6), soci(1.72e6, 1.88e6, 2.03e6)).verdict, 'same', 'medians 6% apart, ranges overlapping');
  assert.equal(fetchChange(soci(1.72e6, 1.88e6, 2.03e6), soci(2.2e6, 2.3e6, 2.4e6)).verdict, 'regression', 'every new sample fetched more');
});

test('a system with wider fetch noise is judged against it: SOCI\'s busy-runner run is the same, a file more is not', () => {
  // Both samples of the next run fetched 5.4% more bytes and 2 more requests (seen on CI).
  const run = (bytes: number, requests: number, seed: number) => syntheticSamples({ workloads: ['reader'], modes: ['soci'], rounds: 2, seed })
    .map((s) => ({ ...s, bytes_fetched: { ...s.bytes_fetched, total: bytes }, requests: { total: requests } }));
  const busy = compareRuns(run(5657589, 14, 1), run(5962901, 16, 2));
  assert.equal(busy[0]!.fetched!.verdict, 'same', JSON.stringify(busy[0]!.fetched));
  // The same shift in a system with the common noise is a regression.
  assert.equal(fetchChange(fixed(5657589, 14), fixed(5962901, 16)).verdict, 'regression');
  assert.equal(fetchChange(fixed(5657589, 14), fixed(5962901, 16), { share: 0.1, requests: 2 }).verdict, 'same');
  assert.equal(fetchChange(fixed(5657589, 14), fixed(9957589, 17), { share: 0.1, requests: 2 }).verdict, 'regression');
  assert.equal(fetchChange(fixed(5657589, 14), fixed(5657589, 17), { share: 0.1, requests: 2 }).verdict, 'regression', '3 requests more is past SOCI\'s 2');
});

/** Two runs of one image set; in the second, estargz fetches `bytes` times the bytes and `requests` more responses. */
function runs(o: { bytes?: number; requests?: number } = {}): [Sample[], Sample[]] {
  const make = (seed: number, more: boolean) => syntheticSamples({ workloads: ['hello'], modes: ['legacy', 'estargz'], rounds: 5, seed }).map((s) => {
    const k = more && s.mode === 'estargz' ? (o.bytes ?? 1) : 1;
    const extra = more && s.mode === 'estargz' ? (o.requests ?? 0) : 0;
    return { ...s, bytes_fetched: { ...s.bytes_fetched, total: s.bytes_fetched.total * k }, requests: { pull: 4, run: 10 + extra, total: 14 + extra } };
  });
  return [make(1, false), make(2, true)];
}

test('compare judges what was fetched in every cell, beside an unchanged time, on calm machines too', () => {
  const same = compareRuns(...runs());
  assert.ok(same.every((c) => c.fetched?.verdict === 'same' && c.fetched.requests?.next === 14));
  const [base, next] = runs({ bytes: 1.2 });
  const changes = compareRuns(base, next);
  const cell = changes.find((c) => c.mode === 'estargz')!;
  assert.equal(cell.verdict, 'no change', 'the time did not move');
  assert.equal(cell.fetched!.verdict, 'regression');
  assert.equal(cell.basis, 'time');
  assert.match(changeText(cell), /bytes fetched \+20\.0%, requests \+0\.0%/);
  assert.equal(changes.find((c) => c.mode === 'legacy')!.fetched!.verdict, 'same');
  // A read set grown by a few files: more requests for the same bytes is flagged too.
  const reads = compareRuns(...runs({ requests: 3 })).find((c) => c.mode === 'estargz')!;
  assert.equal(reads.fetched!.verdict, 'regression');
  assert.deepEqual([reads.fetched!.requests?.base, reads.fetched!.requests?.next], [14, 17]);
});
