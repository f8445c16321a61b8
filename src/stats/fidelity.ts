// Does the link hold, and how far is each cell from what the link allows? A legacy pull must
// fetch the whole compressed image through the link, so it cannot beat size / bandwidth plus
// the round trips it needs (the manifest, then the blobs in parallel); a ratio below 1 means
// bytes bypassed the link. Every sample, lazy or not, cannot beat its own floor: the round
// trips its registry requests cost until the container was up (each group of requests that
// could not overlap waited a whole RTT) plus the bytes of its phases through the rate.
import { median } from 'simple-statistics';
import type { LinkSpec } from '../lab/link.ts';
import { bytesInPhases, counted, samplesByCell, type Sample } from '../results/sample.ts';
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

/** A sample's floor in seconds on `link` (shaped links; samples that counted their round trips). */
export function sampleFloor(s: Sample, link: LinkSpec): number | undefined {
  if (s.round_trips === undefined || !link.rttMs || s.total === undefined) return undefined;
  return (s.round_trips * link.rttMs) / 1000 + (link.bandwidth ? (bytesInPhases(s) * 8) / link.bandwidth : 0);
}

/** One cell against its floor: medians per sample of what sets the floor, and measured / floor (median and lowest). */
export interface FloorCell { workload: string; mode: string; bytes: number; round_trips: number; floor: number; total: number; ratio: number; min_ratio: number; n: number }

/** Every cell whose counted samples have a floor, in the samples' order. */
export function floorCells(samples: readonly Sample[], link: LinkSpec, keepDisturbed = false): FloorCell[] {
  const out: FloorCell[] = [];
  for (const list of samplesByCell(samples, (s) => counted(s, keepDisturbed) && sampleFloor(s, link) !== undefined).values()) {
    const floors = list.map((s) => sampleFloor(s, link)!);
    const ratios = list.map((s, i) => s.total! / floors[i]!);
    out.push({
      workload: list[0]!.workload, mode: list[0]!.mode, bytes: median(list.map(bytesInPhases)), round_trips: median(list.map((s) => s.round_trips!)),
      floor: median(floors), total: median(list.map((s) => s.total!)), ratio: median(ratios), min_ratio: Math.min(...ratios), n: list.length,
    });
  }
  return out;
}
