/**
 * The drift report as ONE self-contained HTML document, in the style of the evaluation report
 * (src/evaluation/report-html.ts): inline CSS, inline SVG bar charts, no scripts, no external assets,
 * every string from a user (file and column names, category values) HTML-escaped.
 */
import { escapeHtml } from '../../evaluation/report-html.js';
import { categoryCounts, finiteSorted, referenceNumbers } from './sketch.js';
import type { ColumnDrift, ColumnSample, DriftColumnKind, DriftReport, ReferenceSketch } from './types.js';

/** Reference and current shares of one column over common bins (numbers) or values (categories). */
export interface DriftHistogram {
  column: string;
  kind: DriftColumnKind;
  /** One label per bar pair: the value, or the bin as "[lo, hi)". */
  labels: string[];
  /** Short axis labels (the value, or the bin's lower edge). */
  ticks: string[];
  reference: number[];
  current: number[];
}

const NUMERIC_BINS = 20;
const MAX_CATEGORIES = 15;

const e = (value: unknown) => escapeHtml(String(value));

function num(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '–';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '–' : String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 10_000 || abs < 1e-3) return value.toPrecision(digits);
  return value.toFixed(digits);
}

function short(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toPrecision(3) : String(Number(v.toFixed(3)));
}

/** The distinct values of two arrays, or undefined as soon as there are more than `max`. */
function fewValues(arrays: Float64Array[], max: number): Set<number> | undefined {
  const distinct = new Set<number>();
  for (const xs of arrays) {
    for (const v of xs) {
      distinct.add(v);
      if (distinct.size > max) return undefined;
    }
  }
  return distinct;
}

function numericHistogram(name: string, ref: Float64Array, cur: Float64Array): DriftHistogram {
  const distinct = fewValues([ref, cur], NUMERIC_BINS);
  if (distinct) {
    // Few values: one bar pair per value, like the per-value tests see them.
    const values = [...distinct].sort((a, b) => a - b);
    const share = (xs: Float64Array, v: number) => (xs.length ? xs.filter((x) => x === v).length / xs.length : 0);
    const labels = values.map(short);
    return { column: name, kind: 'numeric', labels, ticks: labels, reference: values.map((v) => share(ref, v)), current: values.map((v) => share(cur, v)) };
  }
  const lo = Math.min(ref[0] ?? Infinity, cur[0] ?? Infinity);
  const hi = Math.max(ref[ref.length - 1] ?? -Infinity, cur[cur.length - 1] ?? -Infinity);
  const width = (hi - lo) / NUMERIC_BINS;
  const bin = (v: number) => Math.min(NUMERIC_BINS - 1, Math.max(0, Math.floor((v - lo) / width)));
  const shares = (xs: Float64Array) => {
    const counts = new Array<number>(NUMERIC_BINS).fill(0);
    for (const v of xs) counts[bin(v)]! += 1;
    return counts.map((c) => (xs.length ? c / xs.length : 0));
  };
  const labels = Array.from({ length: NUMERIC_BINS }, (_, i) => `[${short(lo + i * width)}, ${short(i === NUMERIC_BINS - 1 ? hi : lo + (i + 1) * width)}${i === NUMERIC_BINS - 1 ? ']' : ')'}`);
  const ticks = Array.from({ length: NUMERIC_BINS }, (_, i) => short(lo + i * width));
  return { column: name, kind: 'numeric', labels, ticks, reference: shares(ref), current: shares(cur) };
}

function categoryHistogram(name: string, ref: Map<string, number>, cur: Map<string, number>): DriftHistogram {
  const refN = [...ref.values()].reduce((a, b) => a + b, 0);
  const curN = [...cur.values()].reduce((a, b) => a + b, 0);
  const share = (m: Map<string, number>, n: number, k: string) => (n ? (m.get(k) ?? 0) / n : 0);
  const keys = [...new Set([...ref.keys(), ...cur.keys()])].sort((a, b) => share(ref, refN, b) + share(cur, curN, b) - share(ref, refN, a) - share(cur, curN, a) || (a < b ? -1 : 1));
  const shown = keys.slice(0, MAX_CATEGORIES);
  const rest = keys.slice(MAX_CATEGORIES);
  const h: DriftHistogram = { column: name, kind: 'categorical', labels: shown, ticks: [...shown], reference: shown.map((k) => share(ref, refN, k)), current: shown.map((k) => share(cur, curN, k)) };
  if (rest.length) {
    h.labels.push(`(${rest.length} others)`);
    h.ticks.push(`(${rest.length} others)`);
    h.reference.push(rest.reduce((s, k) => s + share(ref, refN, k), 0));
    h.current.push(rest.reduce((s, k) => s + share(cur, curN, k), 0));
  }
  return h;
}

/**
 * Per column, reference and current shares for the report's charts: per value for categories (the 15
 * most common, the rest summed) and for numbers with at most 20 distinct values, else 20 equal-width bins
 * over the combined range. Missing values are left out; a sketched reference is charted from its sketch.
 */
export function driftHistograms(reference: ReferenceSketch, current: ColumnSample[], columns?: string[]): DriftHistogram[] {
  const curByName = new Map(current.map((c) => [c.name, c]));
  const out: DriftHistogram[] = [];
  for (const ref of reference.columns) {
    if (columns && !columns.includes(ref.name)) continue;
    const cur = curByName.get(ref.name);
    if (!cur || cur.kind !== ref.kind) continue;
    if (ref.kind === 'numeric') {
      out.push(numericHistogram(ref.name, referenceNumbers(ref), finiteSorted(cur.numbers ?? new Float64Array())));
    } else {
      out.push(categoryHistogram(ref.name, new Map(Object.entries(ref.counts ?? {})), categoryCounts(cur.categories ?? []).counts));
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// SVG
// ------------------------------------------------------------------------------------------------

const W = 420;
const H = 240;
const M = { left: 58, right: 10, top: 24, bottom: 62 };
const H_LEGEND = 4; // the legend sits in the top margin, above the bars
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
const r2 = (v: number) => Math.round(v * 100) / 100;

function niceMax(max: number): { top: number; ticks: number[] } {
  if (!(max > 0)) return { top: 1, ticks: [0, 0.5, 1] };
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= top + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return { top, ticks };
}

function barChart(h: DriftHistogram): string {
  const { top, ticks } = niceMax(Math.max(...h.reference, ...h.current));
  const n = h.labels.length;
  const slot = PW / Math.max(1, n);
  const barW = Math.max(1, slot * 0.4);
  const y = (v: number) => r2(M.top + (1 - v / top) * PH);
  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(`<line x1="${M.left}" y1="${y(t)}" x2="${M.left + PW}" y2="${y(t)}" class="grid"/>`);
    parts.push(`<text x="${M.left - 5}" y="${y(t) + 4}" text-anchor="end" class="tick">${e(`${Number((t * 100).toPrecision(6))}%`)}</text>`);
  }
  const every = Math.max(1, Math.ceil(n / 10)); // at most ~10 x labels
  h.labels.forEach((label, i) => {
    const x0 = M.left + i * slot + (slot - 2 * barW) / 2;
    const bars: Array<[number, string, string]> = [
      [h.reference[i]!, 'bar-ref', 'reference'],
      [h.current[i]!, 'bar-cur', 'current'],
    ];
    bars.forEach(([v, cls, who], j) => {
      const top = y(v);
      parts.push(`<rect x="${r2(x0 + j * barW)}" y="${top}" width="${r2(barW)}" height="${r2(M.top + PH - top)}" class="${cls}"><title>${e(`${label} · ${who}: ${(v * 100).toFixed(2)}%`)}</title></rect>`);
    });
    if (i % every === 0) {
      const tick = h.ticks[i] ?? label;
      const text = tick.length > 12 ? `${tick.slice(0, 11)}…` : tick;
      const cx = r2(M.left + i * slot + slot / 2);
      parts.push(`<text transform="translate(${cx} ${M.top + PH + 10}) rotate(-35)" text-anchor="end" class="tick">${e(text)}</text>`);
    }
  });
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" class="frame"/>`);
  const lx = M.left + PW - 150;
  parts.push(`<rect x="${lx}" y="${H_LEGEND}" width="10" height="10" class="bar-ref"/><text x="${lx + 14}" y="${H_LEGEND + 9}" class="legend">reference</text>`);
  parts.push(`<rect x="${lx + 76}" y="${H_LEGEND}" width="10" height="10" class="bar-cur"/><text x="${lx + 90}" y="${H_LEGEND + 9}" class="legend">current</text>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${e(`Distribution of ${h.column}`)}">${parts.join('')}</svg>`;
}

// ------------------------------------------------------------------------------------------------
// Document
// ------------------------------------------------------------------------------------------------

const METHOD_NAMES: Record<string, string> = {
  ks: 'Kolmogorov–Smirnov',
  chisquare: 'chi-square',
  z: 'two-proportion z-test',
  wasserstein: 'Wasserstein (normed)',
  jensenshannon: 'Jensen–Shannon distance',
  psi: 'PSI',
};

function rule(c: ColumnDrift): string {
  if (c.p_value === null) return `distance ≥ ${num(c.threshold)}`;
  return c.method === 'ks' ? `p ≤ ${num(c.threshold)}` : `p < ${num(c.threshold)}`;
}

function columnRow(c: ColumnDrift, corrected: boolean): string {
  const status = !c.tested ? '<span class="badge skip">not tested</span>' : c.drifted ? '<span class="badge drift">drift</span>' : '<span class="badge ok">no drift</span>';
  const missing = c.current_missing ? `${c.current_missing} of ${c.current_rows}` : '0';
  const cells = [
    `<td><a href="#col-${e(encodeURIComponent(c.column))}">${e(c.column)}</a></td>`,
    `<td class="left">${e(c.kind)}</td>`,
    `<td class="left">${e(METHOD_NAMES[c.method] ?? c.method)}</td>`,
    `<td>${num(c.statistic)}</td>`,
    `<td>${num(c.p_value)}</td>`,
    ...(corrected ? [`<td>${num(c.adjusted_p_value)}</td>`] : []),
    `<td class="left">${e(rule(c))}</td>`,
    `<td>${status}</td>`,
    `<td>${e(missing)}</td>`,
    `<td class="note">${e(c.note ?? '')}</td>`,
  ];
  return `<tr${c.drifted ? ' class="hl"' : ''}>${cells.join('')}</tr>`;
}

const CSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f6f7f9;color:#1f2933;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:28px 24px 40px}
header h1{font-size:22px;margin:0 0 4px}
.sub{color:#52606d;margin:0}
.stats{display:flex;flex-wrap:wrap;gap:12px;margin-top:14px}
.stat{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:8px 14px;min-width:120px}
.stat b{display:block;font-size:20px}
.stat span{color:#52606d;font-size:12px}
section{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:16px 20px;margin-top:16px;overflow-x:auto}
section.verdict{border-left-width:5px}
section.verdict.drift{border-left-color:#dc2626}
section.verdict.ok{border-left-color:#16a34a}
section.verdict p{margin:0}
h2{font-size:16px;margin:0 0 10px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:5px 12px;border-bottom:1px solid #e9ecf0;text-align:right;vertical-align:top}
th:first-child,td:first-child,th.left,td.left{text-align:left}
thead th{color:#52606d;font-weight:600;border-bottom:2px solid #d5dbe1}
td.note{color:#7b8794;text-align:left;font-size:12px}
tr.hl td{background:#fff5f5}
a{color:#1d4ed8;text-decoration:none}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600}
.badge.drift{background:#fee2e2;color:#b91c1c}
.badge.ok{background:#dcfce7;color:#15803d}
.badge.skip{background:#e5e7eb;color:#4b5563}
p.note{color:#7b8794;font-size:12px;margin:8px 0 0}
.charts{display:flex;flex-wrap:wrap;gap:20px}
figure{margin:0}
figcaption{color:#52606d;font-size:12px;text-align:center;margin-top:2px}
figcaption b{color:#1f2933}
svg{display:block;max-width:100%;height:auto}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#52606d}
svg .legend{fill:#1f2933}
svg .grid{stroke:#eef1f4;stroke-width:1}
svg .frame{fill:none;stroke:#9aa5b1;stroke-width:1}
svg .bar-ref{fill:#94a3b8}
svg .bar-cur{fill:#ea580c}
footer{color:#9aa5b1;font-size:12px;margin-top:18px}
@media print{body{background:#fff}section{break-inside:avoid}}
`;

/**
 * The drift report as HTML: the dataset verdict, one table row per column (method, statistic, p-value,
 * the drift rule, missing values) and, when `hist` is given (see driftHistograms), a bar chart of the
 * reference and current distribution of each column.
 */
export function renderDriftHtml(report: DriftReport, meta: { title: string; reference: string; current: string; generatedAt: string }, hist?: DriftHistogram[]): string {
  const corrected = report.correction !== 'none';
  const verdict = report.dataset_drift ? 'Dataset drift detected' : 'No dataset drift';
  const comparison = report.dataset_drift ? '≥' : '<';
  const sentence = `${report.drifted} of ${report.tested} tested column${report.tested === 1 ? '' : 's'} drifted: a share of ${num(report.share)} ${comparison} the threshold ${num(report.drift_share_threshold)}.`;
  const untested = report.columns.length - report.tested;
  const stats = [
    { value: String(report.columns.length), label: 'columns' },
    { value: String(report.drifted), label: 'drifted' },
    { value: num(report.share), label: 'share drifted' },
    { value: String(report.reference_rows), label: 'reference rows' },
    { value: String(report.current_rows), label: 'current rows' },
  ];
  const head = ['column', 'kind', 'method', 'statistic', 'p-value', ...(corrected ? [`adjusted (${report.correction})`] : []), 'drift when', '', 'missing (current)', 'note'];
  const table = `<section id="columns"><h2>Columns</h2><table><thead><tr>${head.map((h, i) => `<th${i > 0 && i < 3 ? ' class="left"' : ''}>${e(h)}</th>`).join('')}</tr></thead><tbody>${report.columns.map((c) => columnRow(c, corrected)).join('')}</tbody></table><p class="note">Missing values are left out of every test. p-value tests drift below their threshold, distances at or above it (Evidently's defaults).${corrected ? ' Drift is decided on the adjusted p-values.' : ''}${untested ? ` ${untested} column${untested === 1 ? ' was' : 's were'} not tested and count neither way.` : ''}${report.sampled ? ' The reference was a quantile sketch for some columns: their results are approximate.' : ''}</p></section>`;
  const byColumn = new Map(report.columns.map((c) => [c.column, c]));
  const figures = (hist ?? [])
    .filter((h) => byColumn.has(h.column))
    .map((h) => {
      const c = byColumn.get(h.column)!;
      const caption = `<b>${e(h.column)}</b> · ${e(METHOD_NAMES[c.method] ?? c.method)} ${e(c.p_value === null ? num(c.statistic) : `p = ${num(c.p_value)}`)} · ${c.tested ? (c.drifted ? 'drift' : 'no drift') : 'not tested'}`;
      return `<figure id="col-${e(encodeURIComponent(h.column))}">${barChart(h)}<figcaption>${caption}</figcaption></figure>`;
    });
  const charts = figures.length ? `<section id="distributions"><h2>Distributions</h2><div class="charts">${figures.join('')}</div><p class="note">Share of the non-missing values per bin or value; grey: reference, orange: current.</p></section>` : '';

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(meta.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${e(meta.title)}</h1>
<p class="sub">reference <b>${e(meta.reference)}</b> · current <b>${e(meta.current)}</b>${corrected ? ` · correction ${e(report.correction)}` : ''}</p>
<div class="stats">${stats.map((s) => `<div class="stat"><b>${e(s.value)}</b><span>${e(s.label)}</span></div>`).join('')}</div>
</header>
<section id="verdict" class="verdict ${report.dataset_drift ? 'drift' : 'ok'}"><h2>${e(verdict)}</h2><p>${e(sentence)}</p></section>
${table}
${charts}
<footer>Generated by Berth on ${e(meta.generatedAt)}.</footer>
</main>
</body>
</html>
`;
}
