// The HTML report in a real headless Chromium: loads from disk with no console error,
// shows both charts and a row for every image x mode. Leaves a screenshot in test-output/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { cli, ROOT } from './helpers.ts';
import { syntheticSamples } from '../support/synthetic.ts';

const MODES = ['legacy', 'estargz-noopt', 'estargz', 'zstdchunked'];
const WORKLOADS = ['python', 'gcc', 'postgres', 'tomcat'];

test('report.html opens in Chromium with charts, every row and no console error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hb-html-'));
  const samples = syntheticSamples({ workloads: WORKLOADS, modes: MODES, rounds: 5, status: { 'tomcat/zstdchunked': 'timeout' } });
  writeFileSync(join(dir, 'samples.jsonl'), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
  const r = await cli(['report', dir]);
  assert.equal(r.exitCode, 0, r.all);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (req) => { if (!req.url().startsWith('file:')) problems.push(`network request: ${req.url()}`); });
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    assert.deepEqual(problems, []);
    for (const id of ['#chart-startup', '#chart-totals']) {
      const box = await page.locator(`${id} svg`).boundingBox();
      assert.ok(box && box.width > 300 && box.height > 200, `${id} is drawn (${JSON.stringify(box)})`);
    }
    assert.ok(await page.locator('#chart-startup svg path, #chart-startup svg rect').count() > 16, 'bars in the start-up chart');
    const rows = await page.locator('table.per-image tbody tr').allInnerTexts();
    assert.equal(rows.length, WORKLOADS.length * MODES.length);
    for (const w of WORKLOADS) {
      const caption = await page.locator('table.per-image caption', { hasText: `${w} (p95` }).count();
      assert.equal(caption, 1, `table for ${w}`);
    }
    assert.ok(rows.some((t) => /^zstdchunked\s+no ok sample/.test(t)), 'a mode without ok samples says so');
    assert.match(await page.locator('table.failures').innerText(), /tomcat\s+zstdchunked\s+\d\s+timeout/);
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    const shot = join(ROOT, 'test-output', 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    process.stdout.write(`# screenshot of the report: ${shot}\n`);
  } finally {
    await browser.close();
  }
});
