// GitHub Actions annotations for the latest run's regressions.
import { flagged, latest, type History } from './build.ts';
import { changeText, ciText } from './tables.ts';

/** Workflow commands take "%", CR and LF in their message escaped; the figures' own "%" never precede "25", "0D" or "0A". */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

export function regressionAnnotations(h: History): string[] {
  const r = latest(h);
  if (!r) return [];
  // Where the machines differed, regressions are those of the bytes fetched; the times are not judged.
  const differed = r.machine_differed ? [`::notice title=hellobench machine differed::${escapeData(`${r.run_id} vs ${r.compared_with}: ${r.machine_differed}; times not compared, bytes fetched judged instead`)}`] : [];
  return [...differed, ...flagged(r, 'regression').map((c) => `::warning title=hellobench regression::${escapeData(`${c.workload} ${c.mode}`)} ${changeText(c)} (CI ${ciText(c, '..')}) in ${r.run_id} vs ${r.compared_with}`)];
}
