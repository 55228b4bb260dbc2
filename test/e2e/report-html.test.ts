/**
 * The HTML report as a user sees it: rendered by Debian's chromium (headless, driven by
 * playwright-core, which downloads no browser), checked on what the page shows — heading and
 * verdict, one row and one bar per stage with lengths in proportion to the cycles, the bottleneck
 * highlighted, the fit problems, the totals — and that it loads nothing but itself.
 * Needs chromium (scripts/install-tools.sh installs it; CHROMIUM=/path overrides): without it the
 * tests fail, they do not skip. The CLI case needs dist/ (`npm test` builds it first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesign } from '../../generator/emit/design.js';
import { balancedFolding, resolveFolding } from '../../generator/emit/fold.js';
import { render } from '../../generator/emit/generate.js';
import { DEVICES, lookupDevice } from '../../generator/map/devices.js';
import { buildReport, reportHtmlView, type Report } from '../../generator/map/report.js';
import { zooModel } from '../../generator/zoo/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'generator', 'cli', 'main.js');

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Debian's chromium, or $CHROMIUM; a missing browser is an error (CI installs it), not a skip. */
function chromiumPath(): string {
  const env = process.env['CHROMIUM'];
  if (env) {
    if (!existsSync(env)) throw new Error(`CHROMIUM=${env}: no such file`);
    return env;
  }
  const which = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = which.stdout.trim();
  if (which.status !== 0 || path === '') {
    throw new Error("chromium not found: install Debian's chromium (bash scripts/install-tools.sh) or set CHROMIUM=/path/to/chromium");
  }
  return path;
}

/** What the page shows, read from the rendered DOM and layout. */
interface Seen {
  readonly title: string;
  readonly heading: string;
  readonly verdictColor: string;
  readonly summary: string;
  readonly problems: readonly string[];
  readonly fitOk: string;
  readonly legend: string;
  readonly totals: readonly { name: string; used: string; capacity: string; util: string; fillPx: number; trackPx: number; color: string }[];
  readonly stageHeaders: readonly string[];
  readonly stages: readonly { cells: string[]; barPx: number; trackPx: number; background: string; text: string }[];
  readonly glue: readonly string[];
  readonly compatMode: string;
  readonly externalNodes: number;
  readonly styleSheetOwners: readonly string[];
}

// One string, so that nothing the test transpiler adds to functions has to exist in the page.
const READ_PAGE = `(() => {
  const text = (e) => (e ? e.textContent.replace(/\\s+/g, ' ').trim() : '');
  const width = (e) => (e ? e.getBoundingClientRect().width : -1);
  const cells = (tr) => [...tr.querySelectorAll('td')].map(text);
  const verdict = document.querySelector('h1 .verdict');
  return {
    title: document.title,
    heading: text(document.querySelector('h1')),
    verdictColor: verdict ? getComputedStyle(verdict).color : '',
    summary: text(document.querySelector('#summary')),
    problems: [...document.querySelectorAll('.problems li')].map(text),
    fitOk: text(document.querySelector('.fit-ok')),
    legend: text(document.querySelector('.legend')),
    totals: [...document.querySelectorAll('#totals tr')].filter((tr) => tr.querySelector('td')).map((tr) => {
      const c = cells(tr);
      return { name: c[0], used: c[1], capacity: c[2], util: c[3], fillPx: width(tr.querySelector('.fill')), trackPx: width(tr.querySelector('.track')), color: getComputedStyle(tr.querySelector('td')).color };
    }),
    stageHeaders: [...document.querySelectorAll('#stages th')].map(text),
    stages: [...document.querySelectorAll('#stages tr')].filter((tr) => tr.querySelector('.bar')).map((tr) => ({
      cells: cells(tr),
      barPx: width(tr.querySelector('.bar')),
      trackPx: width(tr.querySelector('.track')),
      background: getComputedStyle(tr.querySelector('td')).backgroundColor,
      text: text(tr),
    })),
    glue: [...document.querySelectorAll('#stages tr')].filter((tr) => tr.querySelector('td') && !tr.querySelector('.bar')).map((tr) => cells(tr).join('|')),
    compatMode: document.compatMode,
    externalNodes: document.querySelectorAll('script, link, img, iframe, object, embed, video, audio, source, [src], [href]').length,
    styleSheetOwners: [...document.styleSheets].map((s) => (s.href ?? '') + s.ownerNode.nodeName),
  };
})()`;

let browser: Browser;
let dir: string;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build (npm test does)`);
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  dir = mkdtempSync(join(tmpdir(), 'gen-rtl-report-html-'));
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens an HTML file as a user would (file://), recording every request the page makes. */
async function open(file: string): Promise<{ page: Page; seen: Seen; requests: string[]; url: string }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests: string[] = [];
  page.on('request', (q) => requests.push(q.url()));
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });
  const seen = (await page.evaluate(READ_PAGE)) as Seen;
  return { page, seen, requests, url };
}

async function show(html: string): Promise<Seen> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await page.setContent(html, { waitUntil: 'load' });
    return (await page.evaluate(READ_PAGE)) as Seen;
  } finally {
    await page.close();
  }
}

/** sepnet-tiny-28 with one output channel per step (the folding without a device) on the xc7z020. */
let tinyReport: Report | undefined;
function tinyDefault(): Report {
  if (!tinyReport) {
    const info = zooModel('sepnet-tiny-28').info;
    tinyReport = buildReport(buildDesign(info, resolveFolding(info, undefined, 'default')), 'sepnet-tiny-28', lookupDevice('xc7z020'), { clockMhz: 100 });
  }
  return tinyReport;
}

const num = (v: number): string => Math.round(v).toLocaleString('en-US');
const parse = (s: string): number => Number(s.replace(/,/g, ''));
const pct = (used: number, have: number): string => `${((100 * used) / have).toFixed(1)} %`;

/** What every report page must show, whatever the design and device. */
function expectShows(seen: Seen, r: Report): void {
  const verdict = r.fits ? 'fits' : 'DOES NOT FIT';
  expect(seen.compatMode).toBe('CSS1Compat');
  expect(seen.title).toBe(`gen-rtl report: ${r.model} on ${r.device}: ${verdict}`);
  expect(seen.heading).toBe(`${r.model} on ${r.device} at ${r.clockMhz} MHz: ${verdict}`);
  // The verdict in green when it fits, red when not.
  const [red, green] = (seen.verdictColor.match(/\d+/g) ?? []).map(Number);
  expect(red, seen.verdictColor).toBeDefined();
  expect(r.fits ? green! > red! : red! > green!, `verdict colour ${seen.verdictColor}`).toBe(true);
  expect(seen.summary).toContain(`${num(r.fps)} images/s (${num(r.cyclesPerImage)} cycles/image)`);
  expect(seen.summary).toContain(`Bottleneck: stage ${r.bottleneck.stage}, bounded by ${r.bottleneck.resource}.`);

  // One row per stage, in the design's order, with its kind and cycles.
  const col = (h: string): number => {
    const i = seen.stageHeaders.indexOf(h);
    expect(i, `stage table column "${h}"`).toBeGreaterThanOrEqual(0);
    return i;
  };
  expect(seen.stages.map((s) => s.cells[col('stage')])).toEqual(r.stages.map((s) => s.name));
  expect(seen.stages.map((s) => s.cells[col('kind')])).toEqual(r.stages.map((s) => s.kind));
  expect(seen.stages.map((s) => s.cells[col('PE x SIMD')])).toEqual(r.stages.map((s) => `${s.fold.pe} x ${s.fold.simd}${s.fold.window ? ' w' : ''}${s.fold.pack ? ' p' : ''}`));
  expect(seen.stages.map((s) => s.cells[col('cycles/image')])).toEqual(r.stages.map((s) => num(s.cyclesPerImage)));

  // Bars: every stage's bar is as long, relative to the slowest one's, as its cycles are; the
  // bottleneck's is the widest and fills the track.
  const maxCycles = Math.max(...r.stages.map((s) => s.cyclesPerImage));
  const b = r.stages.findIndex((s) => s.name === r.bottleneck.stage);
  expect(b, 'the bottleneck is a stage').toBeGreaterThanOrEqual(0);
  expect(r.stages[b]!.cyclesPerImage).toBe(maxCycles);
  const widest = Math.max(...seen.stages.map((s) => s.barPx));
  expect(seen.stages[b]!.barPx).toBe(widest);
  expect(widest).toBeGreaterThanOrEqual(200);
  expect(seen.stages[b]!.barPx).toBeCloseTo(seen.stages[b]!.trackPx, 1);
  seen.stages.forEach((s, i) => {
    const want = (widest * r.stages[i]!.cyclesPerImage) / maxCycles;
    expect(s.barPx, `bar of ${r.stages[i]!.name}`).toBeGreaterThanOrEqual(1);
    if (want >= 1) expect(Math.abs(s.barPx - want), `bar of ${r.stages[i]!.name}: ${s.barPx} px, want ${want}`).toBeLessThan(0.05);
  });
  expect(seen.legend).toContain(`a full bar is the slowest stage's ${num(maxCycles)} cycles`);

  // Exactly one row highlighted, the bottleneck's, in a colour no other row has.
  const highlight = seen.stages[b]!.background;
  expect(highlight).not.toBe('rgba(0, 0, 0, 0)');
  const others = seen.stages.filter((_, i) => i !== b);
  for (const o of others) expect(o.background).not.toBe(highlight);
  expect(new Set(others.map((o) => o.background)).size).toBe(1);
  expect(seen.stages.filter((s) => s.cells.at(-1) === 'bottleneck').map((s) => s.cells[0])).toEqual([r.bottleneck.stage]);

  // The row outside the stages (FIFOs, broadcasts, output), then columns that add up to the totals.
  expect(seen.glue).toHaveLength(1);
  expect(seen.glue[0]).toMatch(/^\(fifos, broadcasts, output\)\|/);
  const lutSum = seen.stages.reduce((s, x) => s + parse(x.cells[col('LUT')]!), 0) + parse(seen.glue[0]!.split('|')[col('LUT')]!);
  expect(Math.abs(lutSum - r.totals.lut)).toBeLessThanOrEqual(r.stages.length + 1);

  // Totals: used, capacity and utilization per resource, with a bar as long as the utilization.
  const t = r.totals;
  const c = r.capacity;
  const want: [string, string, number, number][] = [
    ['LUT', num(t.lut), t.lut, c.lut],
    ['FF', num(t.ff), t.ff, c.ff],
    ['DSP', num(t.dsp), t.dsp, c.dsp],
    ['BRAM36', t.bram36.toFixed(1), t.bram36, c.bram36],
    ['on-chip bytes', num(t.onchipBytes), t.onchipBytes, c.onchipBytes],
    ['on-chip bytes, budget (--onchip-limit)', num(t.onchipBytes), t.onchipBytes, r.onchipLimitBytes],
  ];
  expect(seen.totals.map((x) => x.name)).toEqual(want.map((w) => w[0]));
  want.forEach(([name, used, need, have], i) => {
    const row = seen.totals[i]!;
    expect(row.used, name).toBe(used);
    expect(row.capacity, name).toBe(num(have));
    expect(row.util, name).toBe(pct(need, have));
    expect(row.fillPx / row.trackPx, `${name} utilization bar`).toBeCloseTo(Math.min(1, need / have), 3);
  });
  // Over-capacity resources stand out, and only they.
  const overColor = new Set(seen.totals.filter((_, i) => want[i]![2] > want[i]![3]).map((x) => x.color));
  const okColor = new Set(seen.totals.filter((_, i) => want[i]![2] <= want[i]![3]).map((x) => x.color));
  expect(okColor.size).toBe(1);
  for (const x of overColor) expect(okColor.has(x)).toBe(false);

  // The fit problems, word for word, only when it does not fit.
  expect(seen.problems).toEqual(r.fitProblems);
  if (r.fits) expect(seen.fitOk).toMatch(/within the device's capacity/);
  else expect(seen.fitOk).toBe('');

  // Self-contained: no element that could fetch anything, styles inline.
  expect(seen.externalNodes).toBe(0);
  expect(seen.styleSheetOwners).toEqual(['STYLE']);
}

describe('HTML report in headless Chromium', () => {
  it('gen-rtl report --html: sepnet-tiny-28 fits the xc7z020 and the page loads only itself', async () => {
    const tiny = join(dir, 'tiny.sepb');
    expect(cli('zoo', 'sepnet-tiny-28', '--out', tiny).code).toBe(0);
    const html = join(dir, 'fits.html');
    const res = cli('report', tiny, '--device', 'xc7z020', '--clock-mhz', '100', '--json', '--html', html);
    expect(res.code, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as Report;
    expect(r.fits).toBe(true);

    const { page, seen, requests, url } = await open(html);
    try {
      expectShows(seen, r);
      expect(requests).toEqual([url]);
      expect(await page.evaluate('performance.getEntriesByType("resource").length')).toBe(0);
    } finally {
      await page.close();
    }
    expect(seen.heading).toBe('sepnet-tiny-28 on xc7z020 at 100 MHz: fits');
    expect(seen.problems).toEqual([]);
    expect(seen.stages.map((s) => s.cells[0])).toEqual(expect.arrayContaining(['input', 'conv1', 'pool1', 'module1_prb1', 'conv2', 'fc']));
  });

  it('default folding: conv1 takes 8x the cycles of module1_prb1, and its bar is 8x as long', async () => {
    const r = tinyDefault();
    const seen = await show(render('report.html.hbs', reportHtmlView(r)));
    expectShows(seen, r);
    const names = seen.stages.map((s) => s.cells[0]);
    const bar = (name: string): number => seen.stages[names.indexOf(name)]!.barPx;
    const cycles = (name: string): number => r.stages.find((s) => s.name === name)!.cyclesPerImage;
    expect(r.bottleneck.stage).toBe('conv1');
    expect(cycles('conv1') / cycles('module1_prb1')).toBe(8);
    expect(bar('conv1') / bar('module1_prb1')).toBeCloseTo(8, 2);
    expect(bar('conv1')).toBeCloseTo(300, 1);
    expect(seen.stages[names.indexOf('conv1')]!.cells.at(-1)).toBe('bottleneck');
    expect(seen.summary).toMatch(/Tightest device resource: DSP at 67\.7 %/);
    expect(seen.totals.find((x) => x.name === 'DSP')!.util).toBe('67.7 %');
  });

  it('gen-rtl report --fold balanced on the up5k: DOES NOT FIT, every problem listed, over-capacity rows marked', async () => {
    const tiny = join(dir, 'tiny.sepb');
    if (!existsSync(tiny)) expect(cli('zoo', 'sepnet-tiny-28', '--out', tiny).code).toBe(0);
    const html = join(dir, 'nofit.html');
    const res = cli('report', tiny, '--device', 'up5k', '--clock-mhz', '100', '--fold', 'balanced', '--json', '--html', html);
    expect(res.code).toBe(1);
    const r = JSON.parse(res.stdout) as Report;
    expect(r.fits).toBe(false);

    const { page, seen, requests, url } = await open(html);
    try {
      expectShows(seen, r);
      expect(requests).toEqual([url]);
    } finally {
      await page.close();
    }
    expect(seen.title).toMatch(/DOES NOT FIT$/);
    expect(seen.heading).toBe('sepnet-tiny-28 on up5k at 100 MHz: DOES NOT FIT');
    expect(seen.problems.length).toBeGreaterThanOrEqual(3);
    for (const what of ['LUTs', 'flip-flops', 'DSP slices']) expect(seen.problems.some((p) => p.startsWith(`${what}: needs`)), what).toBe(true);
    // LUT, FF and DSP are over: their rows differ in colour from the on-chip rows, which are not.
    const color = (name: string): string => seen.totals.find((x) => x.name === name)!.color;
    expect(color('LUT')).not.toBe(color('on-chip bytes'));
    expect(color('DSP')).toBe(color('LUT'));
    // Balanced folding runs most stages at 784 cycles: the highlighted one is the report's bottleneck.
    expect(seen.stages.filter((s) => s.cells[0] === r.bottleneck.stage)).toHaveLength(1);
  });

  it('SEP-Net small, balanced, on the xc7z020: 38 stages, one highlighted, DSP and block RAM over', async () => {
    const info = zooModel('sepnet-small').info;
    const r = buildReport(buildDesign(info, balancedFolding(info)), 'sepnet-small', lookupDevice('xc7z020'), { clockMhz: 200, alternatives: DEVICES });
    expect(r.fits).toBe(false);
    const seen = await show(render('report.html.hbs', reportHtmlView(r)));
    expectShows(seen, r);
    expect(seen.stages).toHaveLength(r.stages.length);
    expect(seen.problems.some((p) => /^DSP slices: needs [\d,]+ DSP48E1, xc7z020 has 220/.test(p))).toBe(true);
    expect(seen.problems.some((p) => p.startsWith('block RAM: needs'))).toBe(true);
    expect(seen.totals.find((x) => x.name === 'DSP')!.fillPx).toBeCloseTo(seen.totals.find((x) => x.name === 'DSP')!.trackPx, 1);
  });

  it('shows names from the model as text, never as markup', async () => {
    const base = tinyDefault();
    const evil = '<i>conv1</i> & "x"';
    const r: Report = {
      ...base,
      model: 'net<script>document.title="pwned"</script>',
      stages: base.stages.map((s) => (s.name === 'conv1' ? { ...s, name: evil } : s)),
      bottleneck: { ...base.bottleneck, stage: evil },
    };
    const seen = await show(render('report.html.hbs', reportHtmlView(r)));
    expectShows(seen, r);
    expect(seen.title).toBe('gen-rtl report: net<script>document.title="pwned"</script> on xc7z020: fits');
    expect(seen.stages.find((s) => s.cells[0] === evil)!.text).toMatch(/bottleneck/);
  });
});
