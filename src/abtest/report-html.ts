/**
 * An A/B test's results as one self-contained HTML page (inline CSS and SVG, no scripts or external
 * assets): the sample ratio check first, the decision, the variants, and a forest plot of each metric's
 * relative effect with its confidence interval (fixed-horizon and always-valid).
 */
import { escapeHtml } from '../evaluation/index.js';
import type { MetricResult } from './analysis/index.js';

export interface ResultsForReport {
  title: string;
  srm: { p_value: number; mismatch: boolean; observed: number[]; expected: number[] };
  variants: Array<{ variant: string; version?: number; weight?: number; subjects: number }>;
  metrics: MetricResult[];
  decision: { action: string; reason: string };
  ready_to_decide?: boolean;
}

const e = (v: unknown) => escapeHtml(String(v));
const fmt = (v: number, digits = 4) => (Number.isFinite(v) ? (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(digits)) : String(v));
const pct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}%` : '–');

/** Forest plot: one row per metric × variant, relative effect ± CI around 0, always-valid CI dashed. */
export function effectsSvg(metrics: readonly MetricResult[]): string {
  const rows = metrics.filter((m) => Number.isFinite(m.relative));
  if (rows.length === 0) return '<p>No metric has enough data for an effect yet.</p>';
  const width = 640;
  const rowH = 34;
  const left = 220;
  const right = 20;
  const height = rowH * rows.length + 40;
  const bounds = rows.flatMap((m) => [m.relative_ci[0], m.relative_ci[1], m.sequential_ci[0] / Math.abs(m.control.mean || 1), m.sequential_ci[1] / Math.abs(m.control.mean || 1), 0]).filter(Number.isFinite);
  const span = Math.max(...bounds.map(Math.abs), 0.01) * 1.1;
  const x = (v: number) => left + ((v + span) / (2 * span)) * (width - left - right);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="relative effects with confidence intervals">`];
  parts.push(`<line x1="${x(0)}" y1="10" x2="${x(0)}" y2="${height - 25}" stroke="#888" stroke-dasharray="3 3"/>`);
  rows.forEach((m, i) => {
    const y = 25 + i * rowH;
    const seqLo = m.sequential_ci[0] / Math.abs(m.control.mean || 1);
    const seqHi = m.sequential_ci[1] / Math.abs(m.control.mean || 1);
    const colour = m.significant ? (m.relative > 0 ? '#1a7f37' : '#cf222e') : '#57606a';
    parts.push(`<text x="8" y="${y + 4}" font-size="12">${e(m.metric)}: ${e(m.treatment.variant)} vs ${e(m.control.variant)}</text>`);
    if (Number.isFinite(seqLo) && Number.isFinite(seqHi)) parts.push(`<line x1="${x(Math.max(-span, seqLo))}" y1="${y + 8}" x2="${x(Math.min(span, seqHi))}" y2="${y + 8}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    parts.push(`<line x1="${x(m.relative_ci[0])}" y1="${y}" x2="${x(m.relative_ci[1])}" y2="${y}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<circle cx="${x(m.relative)}" cy="${y}" r="5" fill="${colour}"><title>${e(pct(m.relative))} (${e(pct(m.relative_ci[0]))} to ${e(pct(m.relative_ci[1]))})</title></circle>`);
  });
  parts.push(`<text x="${x(-span)}" y="${height - 8}" font-size="11">${e(pct(-span))}</text><text x="${x(0) - 4}" y="${height - 8}" font-size="11">0</text><text x="${x(span) - 40}" y="${height - 8}" font-size="11">${e(pct(span))}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

export function renderResultsHtml(r: ResultsForReport, generatedAt = new Date()): string {
  const srm = r.srm.mismatch
    ? `<p class="bad"><b>Sample ratio mismatch</b> (p = ${e(fmt(r.srm.p_value, 6))} &lt; 0.001): the variants did not get the traffic their weights say. Fix the assignment before reading any effect below.</p>`
    : `<p class="ok">Sample ratio fine (p = ${e(fmt(r.srm.p_value, 4))}).</p>`;
  const variants = r.variants.map((v, i) => `<tr><td>${e(v.variant)}</td><td>${v.version ?? ''}</td><td>${v.weight === undefined ? '' : e(fmt(v.weight, 3))}</td><td>${v.subjects}</td><td>${e(fmt(r.srm.expected[i] ?? NaN, 1))}</td></tr>`).join('');
  const metrics = r.metrics
    .map((m) => `<tr><td>${e(m.metric)}</td><td>${e(m.treatment.variant)} vs ${e(m.control.variant)}</td><td>${m.control.n} / ${m.treatment.n}</td><td>${e(fmt(m.control.mean))} → ${e(fmt(m.treatment.mean))}</td><td>${e(pct(m.relative))} [${e(pct(m.relative_ci[0]))}, ${e(pct(m.relative_ci[1]))}]</td><td>${e(fmt(m.p_value))}</td><td>${e(fmt(m.sequential_p_value))}</td><td>${e(fmt(m.chance_to_win, 3))}</td></tr>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${e(r.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:980px;color:#1f2328}table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}.bad{color:#cf222e}.ok{color:#1a7f37}.decision{font-size:16px;padding:8px;background:#f6f8fa;border-left:4px solid #0969da}</style></head><body>
<h1>${e(r.title)}</h1><p>Generated ${e(generatedAt.toISOString())}</p>
<h2>Sample ratio</h2>${srm}
<h2>Decision</h2><p class="decision"><b>${e(r.decision.action.replace('_', ' '))}</b>: ${e(r.decision.reason)}${r.ready_to_decide === false ? ' (not ready to decide yet)' : ''}</p>
<h2>Variants</h2><table><tr><th>variant</th><th>version</th><th>weight</th><th>units</th><th>expected</th></tr>${variants}</table>
<h2>Effects</h2><p>Relative effect of each variant against the control: the solid bar is the ${'fixed-horizon'} confidence interval, the dashed one the always-valid (mSPRT) interval that stays valid however often you look.</p>${effectsSvg(r.metrics)}
<table><tr><th>metric</th><th>comparison</th><th>n</th><th>mean</th><th>relative effect [CI]</th><th>p</th><th>always-valid p</th><th>chance to win</th></tr>${metrics}</table>
</body></html>`;
}
