// The run's progress counter: the plan's samples apart from those taken again (a disturbed
// sample's re-take is not progress on the plan), and the time the rest will take.
import { bytesInPhases, type Sample } from '../results/sample.ts';

/** How far the plan is: its samples taken (first tries), and the re-takes beside them. */
export function planProgress(samples: readonly Sample[]): { done: number; retaken: number } {
  const jobs = new Set(samples.map((s) => `${s.round}\0${s.workload}\0${s.mode}`));
  return { done: jobs.size, retaken: samples.length - jobs.size };
}

/** `[18/18] +3 retaken, ~2 min left`: `left` counts the plan's samples still to take and the re-takes queued. */
export function progressCount(p: { done: number; planned: number; retaken: number; secondsEach?: number; left: number }): string {
  const retaken = p.retaken ? ` +${p.retaken} retaken` : '';
  const eta = p.secondsEach === undefined || p.left <= 0 ? '' : `, ~${formatMinutes(p.secondsEach * p.left)} left`;
  return `[${p.done}/${p.planned}]${retaken}${eta}`;
}

const formatMinutes = (s: number) => (s < 90 ? `${Math.max(1, Math.round(s))} s` : `${Math.round(s / 60)} min`);

/** One sample in one line: its phases, total and the bytes fetched before its run phase. */
export function progressLine(s: Sample, round: number, count: string): string {
  const f = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));
  const mb = (b: number | undefined) => ((b ?? 0) / 1e6).toFixed(1);
  const head = `${count} round ${round + 1} ${s.workload} ${s.mode}: ${s.status}${s.disturbed ? ` DISTURBED (${s.disturbed})` : ''}`;
  const fetched = bytesInPhases(s) - (s.bytes_fetched.run ?? 0);
  const body = ` ${Object.entries(s.phases).map(([p, v]) => `${p} ${f(v)}`).join(' ')} total ${f(s.total)} s; ` +
    `${mb(fetched)} of ${mb(s.image_bytes)} MB fetched before run`;
  // What --warm and --after-ready added: the second start's total, the load's answers and p99s.
  const warm = s.warm ? `; second start ${s.warm.status === 'ok' ? `${f(s.warm.total)} s` : `${s.warm.status} (${s.warm.reason})`}` : '';
  const p99s = s.after_ready?.per_second.flatMap((p) => (p.p99_ms === undefined ? [] : [p.p99_ms])) ?? [];
  const load = s.after_ready ? `; after ready ${s.after_ready.problem ?? `${s.after_ready.answered}/${s.after_ready.sent} answered${p99s.length ? `, p99 ${p99s[0]!.toFixed(1)} ms in second 1, at most ${Math.max(...p99s).toFixed(1)} ms` : ''}`}` : '';
  return head + body + warm + load + (s.reason ? ` (${s.reason})` : '');
}
