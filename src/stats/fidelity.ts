// Does the link hold? A legacy pull must fetch the whole compressed image through the
// link, so it cannot beat size / bandwidth plus the round trips it needs (the manifest,
// then the blobs in parallel). A ratio below 1 means bytes bypassed the link.
import { median } from 'simple-statistics';
import type { LinkSpec } from '../lab/link.ts';
import type { Sample } from '../results/sample.ts';
import { BASELINE } from '../systems/index.ts';

/** Round trips a pull needs at the least: the manifest (and config), then the layers in parallel. */
export const PULL_ROUND_TRIPS = 2;

export interface FidelityRow { workload: string; image_bytes: number; pull_median: number; floor: number; ratio: number; n: number }

export function pullFloor(imageBytes: number, link: LinkSpec): number | undefined {
  if (!link.bandwidth) return undefined;
  return (imageBytes * 8) / link.bandwidth + (PULL_ROUND_TRIPS * (link.rttMs ?? 0)) / 1000;
}

export function fidelity(samples: readonly Sample[], link: LinkSpec): FidelityRow[] {
  const rows: FidelityRow[] = [];
  for (const workload of [...new Set(samples.map((s) => s.workload))]) {
    const legacy = samples.filter((s) => s.workload === workload && s.mode === BASELINE && s.status === 'ok' && s.phases.pull !== undefined);
    if (!legacy.length) continue;
    const floor = pullFloor(legacy[0]!.image_bytes, link);
    if (floor === undefined) continue;
    const pull = median(legacy.map((s) => s.phases.pull!));
    rows.push({ workload, image_bytes: legacy[0]!.image_bytes, pull_median: pull, floor, ratio: pull / floor, n: legacy.length });
  }
  return rows;
}
