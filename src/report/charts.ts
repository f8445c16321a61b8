// Chart specs (vega-lite) and their rendering to SVG and PNG without a browser.
// Fonts are pinned (DejaVu Sans, shipped by Debian's fonts-dejavu-core) in both the spec
// and the rasteriser, so every machine draws the same picture.
import { UserError } from '../errors.ts';
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Summary } from '../stats/summary.ts';
import type { LoadCurve } from '../stats/after-ready.ts';

export const FONT = 'DejaVu Sans';
const FONT_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'];
/** One colour per phase a runtime declares, so a phase keeps its colour across charts; others take the next free ones. */
const PHASE_COLORS: Record<string, string> = { pull: '#4c78a8', sandbox: '#b279a2', create: '#f58518', run: '#54a24b' };
const SPARE_COLORS = ['#e45756', '#72b7b2', '#eeca3b', '#9d755d'];
const colorOf = (phase: string, i: number) => PHASE_COLORS[phase] ?? SPARE_COLORS[i % SPARE_COLORS.length]!;

export const config = {
  font: FONT,
  background: 'white',
  axis: { labelFont: FONT, titleFont: FONT, labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFont: FONT, titleFont: FONT },
  title: { font: FONT, fontSize: 14 },
  view: { stroke: null },
};

/** Width that gives every bar room: one group per image, one bar per mode. */
function width(summary: Summary): number {
  return Math.max(360, summary.workloads.length * (summary.modes.length * 22 + 30));
}

/** Upstream's chart: one group per image, one bar per mode, its phases stacked (pull / [sandbox /] create / run) at the percentile. */
export function startupSpec(summary: Summary, subject = 'containers'): TopLevelSpec {
  const rows: Record<string, unknown>[] = [];
  const missing: Record<string, unknown>[] = [];
  let n = 0;
  for (const c of summary.cells) {
    if (!c.stats.total) {
      missing.push({ image: c.workload, mode: c.mode, label: 'no ok sample' });
      continue;
    }
    n = Math.max(n, c.stats.total.n);
    summary.phases.forEach((phase, order) => rows.push({ image: c.workload, mode: c.mode, phase, order, seconds: c.stats[phase]!.p }));
  }
  // Image names sit below the rotated mode labels drawn under each bar.
  const x = { field: 'image', type: 'nominal', sort: summary.workloads, title: null, axis: { labelAngle: 0, labelPadding: 92, labelFontWeight: 'bold', ticks: false } } as const;
  const xOffset = { field: 'mode', type: 'nominal', sort: summary.modes } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Time to take for starting up ${subject} (${summary.percentile} pctl., ${n} samples)`,
    width: width(summary), height: 300, config,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar' },
        encoding: {
          x, xOffset,
          y: { field: 'seconds', type: 'quantitative', aggregate: 'sum', stack: 'zero', title: 'time[sec]' },
          color: { field: 'phase', type: 'nominal', sort: summary.phases, scale: { domain: summary.phases, range: summary.phases.map(colorOf) }, title: 'phase' },
          order: { field: 'order', type: 'quantitative' },
          tooltip: [{ field: 'image' }, { field: 'mode' }, { field: 'phase' }, { field: 'seconds', format: '.3f' }],
        },
      },
      {
        data: { values: rows.filter((r) => r.phase === 'pull') },
        mark: { type: 'text', angle: 270, align: 'right', baseline: 'middle', dy: 0, fontSize: 9, y: 'height', yOffset: 4 },
        encoding: { x, xOffset, text: { field: 'mode' } },
      },
      ...(missing.length ? [{
        data: { values: missing },
        mark: { type: 'text' as const, angle: 270, align: 'left' as const, baseline: 'middle' as const, fontSize: 9, color: '#b00', y: 'height' as const, yOffset: -4 },
        encoding: { x, xOffset, text: { field: 'label' } },
      }] : []),
    ],
  } as TopLevelSpec;
}

/** The total per image and mode: median with its 95% bootstrap interval, so the noise is visible. */
export function totalsSpec(summary: Summary): TopLevelSpec {
  const rows = summary.cells.filter((c) => c.stats.total).map((c) => ({
    image: c.workload, mode: c.mode, median: c.stats.total!.median, low: c.stats.total!.ci[0], high: c.stats.total!.ci[1], n: c.stats.total!.n,
  }));
  const x = { field: 'image', type: 'nominal', sort: summary.workloads, title: null, axis: { labelAngle: 0 } } as const;
  const xOffset = { field: 'mode', type: 'nominal', sort: summary.modes } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Total start-up time: median and 95% confidence interval',
    width: width(summary), height: 260, config,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x, xOffset,
          y: { field: 'median', type: 'quantitative', title: 'time[sec]' },
          color: { field: 'mode', type: 'nominal', sort: summary.modes, title: 'mode' },
          tooltip: [{ field: 'image' }, { field: 'mode' }, { field: 'median', format: '.3f' }, { field: 'low', format: '.3f' }, { field: 'high', format: '.3f' }, { field: 'n' }],
        },
      },
      {
        mark: { type: 'errorbar', ticks: true, color: 'black' },
        encoding: { x, xOffset, y: { field: 'low', type: 'quantitative', title: 'time[sec]' }, y2: { field: 'high' } },
      },
    ],
  } as TopLevelSpec;
}

/** The daemon that is not containerd keeps one colour per system across charts. */
const DAEMON_COLORS = ['#9e9e9e', '#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2'];

/**
 * What the daemons cost per sample (medians): one group per image, one bar per mode, containerd
 * and the mode's snapshotter daemon stacked; legacy's bar, containerd alone, is the baseline.
 * CPU seconds above, peak resident MB below. Undefined when the run recorded no daemon figures.
 */
export function daemonsSpec(summary: Summary): TopLevelSpec | undefined {
  const rows = summary.cells.flatMap((c) => Object.entries(c.daemons ?? {}).map(([daemon, d]) => ({ image: c.workload, mode: c.mode, daemon, cpu_s: d.cpu_s, peak_rss_mb: d.peak_rss_mb, order: daemon === 'containerd' ? 0 : 1 })));
  if (!rows.length) return undefined;
  const daemons = ['containerd', ...new Set(rows.map((r) => r.daemon).filter((d) => d !== 'containerd'))];
  const x = { field: 'image', type: 'nominal', sort: summary.workloads, title: null, axis: { labelAngle: 0 } } as const;
  const xOffset = { field: 'mode', type: 'nominal', sort: summary.modes } as const;
  const color = { field: 'daemon', type: 'nominal', sort: daemons, scale: { domain: daemons, range: daemons.map((_, i) => DAEMON_COLORS[i % DAEMON_COLORS.length]!) }, title: 'daemon' } as const;
  // containerd at the foot of every bar, the mode's name written up from it.
  const panel = (field: string, title: string) => ({
    width: width(summary), height: 180,
    layer: [
      {
        mark: { type: 'bar' as const },
        encoding: {
          x, xOffset, color, order: { field: 'order', type: 'quantitative' as const },
          y: { field, type: 'quantitative' as const, aggregate: 'sum' as const, stack: 'zero' as const, title },
          tooltip: [{ field: 'image' }, { field: 'mode' }, { field: 'daemon' }, { field, format: '.2f' }],
        },
      },
      {
        transform: [{ filter: "datum.daemon === 'containerd'" }],
        mark: { type: 'text' as const, angle: 270, align: 'left' as const, baseline: 'middle' as const, fontSize: 9, color: '#222', y: 'height' as const, yOffset: -4 },
        encoding: { x, xOffset, text: { field: 'mode' } },
      },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: "What the daemons cost per sample (medians; each mode's bar: containerd and its snapshotter's daemon)",
    config, data: { values: rows },
    vconcat: [panel('cpu_s', 'CPU [sec]'), panel('peak_rss_mb', 'peak resident [MB]')],
  } as TopLevelSpec;
}

/**
 * Latency after ready: per image, each mode's p99 second by second once the server was up
 * (medians over samples), the baseline among them as the reference. Undefined without a load.
 */
export function afterReadySpec(curves: readonly LoadCurve[], summary: Summary): TopLevelSpec | undefined {
  const rows = curves.flatMap((c) => c.points.map((p) => ({ image: c.workload, mode: c.mode, second: p.second + 1, p99_ms: p.p99_ms, p50_ms: p.p50_ms })));
  if (!rows.length) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Latency once the server was up (p99 per second, medians over samples)',
    config, data: { values: rows },
    facet: { row: { field: 'image', type: 'nominal', sort: summary.workloads, title: null } },
    spec: {
      width: 520, height: 160, mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'second', type: 'quantitative', title: 'second after ready' },
        y: { field: 'p99_ms', type: 'quantitative', scale: { type: 'log' }, title: 'p99 [ms]' },
        color: { field: 'mode', type: 'nominal', sort: summary.modes, title: 'mode' },
        tooltip: [{ field: 'image' }, { field: 'mode' }, { field: 'second' }, { field: 'p50_ms', format: '.2f' }, { field: 'p99_ms', format: '.2f' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string): Buffer {
  const fontFiles = FONT_FILES.filter((f) => existsSync(f));
  if (fontFiles.length === 0) throw new UserError(`no chart font: install the Debian package fonts-dejavu-core (run scripts/setup.sh)`);
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    font: { fontFiles, loadSystemFonts: false, defaultFontFamily: FONT, sansSerifFamily: FONT },
  }).render().asPng();
  return Buffer.from(png);
}
