/**
 * The evaluation report as ONE self-contained HTML document: inline CSS and inline SVG charts, no
 * scripts, no external assets (it opens from disk, from a run's artifacts or from an e-mail alike), and
 * every string that came from a user (model name, labels, file name, refusal messages) HTML-escaped.
 *
 * Classification: metrics, per-class table, confusion matrix, ROC and precision-recall curves (binary),
 * confidence histogram. Regression: metrics and a residual histogram. Both: the refused rows, and the
 * champion/challenger verdict when a comparison is given.
 */
import type { ClassificationEvaluation, Comparable, ModelEvaluation, RegressionEvaluation, Verdict } from './evaluate-model.js';

export interface ReportOptions {
  /** Replaces the default title ("Evaluation of MODEL vN"). */
  title?: string | undefined;
  /** Where the rows came from, e.g. the CSV file's name. */
  data?: string | undefined;
  dataSha256?: string | undefined;
  /** Shown in the header (default: now). */
  generatedAt?: Date | undefined;
  /** Another version evaluated on the same rows, and the gate's verdict (a = this evaluation). */
  comparison?: { other: Comparable & { version: number }; verdict: Verdict } | undefined;
  /** Refused rows listed at most (default 100). */
  maxRefusedRows?: number | undefined;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const e = (value: unknown) => escapeHtml(String(value));

function num(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '–';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 10_000 || abs < 1e-3) return value.toPrecision(digits);
  return value.toFixed(digits);
}

function signedNum(value: number): string {
  return value > 0 ? `+${num(value)}` : num(value);
}

function pct(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.001 ? 2 : 1)}%`;
}

// ------------------------------------------------------------------------------------------------
// SVG charts
// ------------------------------------------------------------------------------------------------

const W = 380;
const H = 320;
const M = { left: 52, right: 14, top: 14, bottom: 46 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
const r2 = (v: number) => Math.round(v * 100) / 100;

interface Axis {
  min: number;
  max: number;
  ticks: number[];
}

/** Round tick values inside [min, max]; with `cover`, the last tick is the first one at or above max. */
function niceTicks(min: number, max: number, target = 5, cover = false): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const end = cover ? Math.ceil(max / step - 1e-9) * step : max;
  const ticks: number[] = [];
  for (let i = Math.ceil(min / step - 1e-9); i * step <= end + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

const UNIT: Axis = { min: 0, max: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] };

function sx(axis: Axis, v: number): number {
  return r2(M.left + ((v - axis.min) / (axis.max - axis.min || 1)) * PW);
}

function sy(axis: Axis, v: number): number {
  return r2(M.top + (1 - (v - axis.min) / (axis.max - axis.min || 1)) * PH);
}

function tickLabel(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toPrecision(2) : String(Number(v.toFixed(2)));
}

/** Frame, grid, ticks and axis titles. */
function axes(x: Axis, y: Axis, xTitle: string, yTitle: string, xTicks: number[] = x.ticks): string {
  const parts: string[] = [];
  for (const t of y.ticks) {
    const py = sy(y, t);
    parts.push(`<line x1="${M.left}" y1="${py}" x2="${M.left + PW}" y2="${py}" class="grid"/>`);
    parts.push(`<text x="${M.left - 6}" y="${py + 4}" text-anchor="end" class="tick">${e(tickLabel(t))}</text>`);
  }
  for (const t of xTicks) {
    const px = sx(x, t);
    parts.push(`<line x1="${px}" y1="${M.top}" x2="${px}" y2="${M.top + PH}" class="grid"/>`);
    parts.push(`<text x="${px}" y="${M.top + PH + 16}" text-anchor="middle" class="tick">${e(tickLabel(t))}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" class="frame"/>`);
  parts.push(`<text x="${M.left + PW / 2}" y="${H - 8}" text-anchor="middle" class="axis-title">${e(xTitle)}</text>`);
  parts.push(`<text transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle" class="axis-title">${e(yTitle)}</text>`);
  return parts.join('');
}

function svg(label: string, body: string): string {
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${e(label)}">${body}</svg>`;
}

/** At most `max` points, evenly spaced, first and last kept (a curve stays small for any row count). */
function thin<T>(points: T[], max = 1500): T[] {
  if (points.length <= max) return points;
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)]!);
  return out;
}

interface Series {
  points: Array<[number, number]>;
  cls: string;
}

function legend(entries: Array<{ cls: string; text: string }>, corner: 'bottom-right' | 'bottom-left'): string {
  const lineH = 18;
  const width = 20 + Math.max(...entries.map((x) => x.text.length)) * 6.6 + 14;
  const height = entries.length * lineH + 8;
  const x0 = corner === 'bottom-right' ? M.left + PW - width - 8 : M.left + 8;
  const y0 = M.top + PH - height - 8;
  const rows = entries.map((entry, i) => {
    const y = y0 + 4 + lineH * i + lineH / 2;
    return `<line x1="${r2(x0 + 6)}" y1="${r2(y)}" x2="${r2(x0 + 22)}" y2="${r2(y)}" class="${entry.cls}"/><text x="${r2(x0 + 28)}" y="${r2(y + 4)}" class="legend">${e(entry.text)}</text>`;
  });
  return `<rect x="${r2(x0)}" y="${r2(y0)}" width="${r2(width)}" height="${height}" class="legend-box"/>${rows.join('')}`;
}

function lineChart(label: string, xTitle: string, yTitle: string, series: Series[], legendEntries: Array<{ cls: string; text: string }>, corner: 'bottom-right' | 'bottom-left'): string {
  const lines = series.map((s) => `<polyline class="${s.cls}" points="${thin(s.points).map(([x, y]) => `${sx(UNIT, x)},${sy(UNIT, y)}`).join(' ')}"/>`);
  return svg(label, axes(UNIT, UNIT, xTitle, yTitle) + lines.join('') + legend(legendEntries, corner));
}

interface Bin {
  lo: number;
  hi: number;
  counts: number[];
}

function histogram(label: string, bins: Bin[], xTitle: string, classes: string[], names: string[], marker?: number): string {
  const x: Axis = { min: bins[0]!.lo, max: bins[bins.length - 1]!.hi, ticks: [] };
  const maxCount = Math.max(1, ...bins.map((b) => b.counts.reduce((a, c) => a + c, 0)));
  const yTicks = niceTicks(0, maxCount, 5, true);
  const y: Axis = { min: 0, max: Math.max(maxCount, yTicks[yTicks.length - 1] ?? 1), ticks: yTicks.filter((t) => Number.isInteger(t)) };
  const xTicks = niceTicks(x.min, x.max, 6);
  const bars: string[] = [];
  for (const bin of bins) {
    let base = 0;
    const x0 = sx(x, bin.lo) + 1;
    const width = Math.max(0.5, r2(sx(x, bin.hi) - sx(x, bin.lo) - 2));
    bin.counts.forEach((count, s) => {
      if (count === 0) return;
      const top = sy(y, base + count);
      bars.push(`<rect x="${r2(x0)}" y="${top}" width="${width}" height="${r2(sy(y, base) - top)}" class="${classes[s]}"><title>${e(`${names[s]}: ${count} in [${tickLabel(bin.lo)}, ${tickLabel(bin.hi)})`)}</title></rect>`);
      base += count;
    });
  }
  const mark = marker !== undefined && marker > x.min && marker < x.max ? `<line x1="${sx(x, marker)}" y1="${M.top}" x2="${sx(x, marker)}" y2="${M.top + PH}" class="marker"/>` : '';
  const legendBlock = names.length > 1 ? histogramLegend(classes, names) : '';
  return svg(label, axes(x, y, xTitle, 'rows', xTicks) + bars.join('') + mark + legendBlock);
}

function histogramLegend(classes: string[], names: string[]): string {
  const x0 = M.left + 10;
  return names
    .map((name, i) => {
      const y = M.top + 10 + i * 18;
      return `<rect x="${x0}" y="${y}" width="12" height="12" class="${classes[i]}"/><text x="${x0 + 18}" y="${y + 10}" class="legend">${e(name)}</text>`;
    })
    .join('');
}

function binsOf(values: number[], lo: number, hi: number, count: number, seriesOf: (i: number) => number, series: number): Bin[] {
  const width = (hi - lo) / count;
  const bins: Bin[] = Array.from({ length: count }, (_, i) => ({ lo: lo + i * width, hi: i === count - 1 ? hi : lo + (i + 1) * width, counts: new Array<number>(series).fill(0) }));
  values.forEach((v, i) => {
    const at = width > 0 ? Math.min(count - 1, Math.max(0, Math.floor((v - lo) / width))) : 0;
    bins[at]!.counts[seriesOf(i)]! += 1;
  });
  return bins;
}

// ------------------------------------------------------------------------------------------------
// Sections
// ------------------------------------------------------------------------------------------------

const METRIC_NOTES: Record<string, string> = {
  accuracy: 'share of rows whose predicted label is the true one',
  precision_macro: 'precision, unweighted mean over the labels',
  recall_macro: 'recall, unweighted mean over the labels',
  f1_macro: 'F1, unweighted mean over the labels',
  precision_weighted: 'precision, mean weighted by support',
  recall_weighted: 'recall, mean weighted by support',
  f1_weighted: 'F1, mean weighted by support',
  roc_auc: 'area under the ROC curve of the positive label',
  roc_auc_ovr: 'one-vs-rest ROC AUC, macro average',
  roc_auc_ovr_weighted: 'one-vs-rest ROC AUC, weighted by support',
  average_precision: 'area under the precision-recall curve (step-wise)',
  brier_score: 'mean squared error of the positive probability (lower is better)',
  log_loss: 'cross-entropy of the probabilities (lower is better)',
  ece: 'expected calibration error, 10 bins (lower is better)',
  mae: 'mean absolute error',
  mse: 'mean squared error',
  rmse: 'root mean squared error',
  r2: 'coefficient of determination',
  mape: 'mean absolute percentage error, as a fraction',
};

function metricsSection(ev: ModelEvaluation, comparison: ReportOptions['comparison']): string {
  const keys = Object.keys(ev.metrics).filter((k) => !k.includes('.'));
  const withCard = keys.some((k) => ev.cardMetrics[k] !== undefined);
  const other = comparison?.other;
  const head = ['metric', `v${ev.version}`, ...(other ? [`v${other.version}`, 'change'] : []), ...(withCard ? ['on the card'] : []), ''];
  const rows = keys.map((k) => {
    const value = ev.metrics[k]!;
    const cells = [`<td>${e(k)}</td>`, `<td>${num(value)}</td>`];
    if (other) {
      const b = other.metrics[k];
      cells.push(`<td>${num(b)}</td>`, `<td>${b === undefined ? '–' : signedNum(b - value)}</td>`);
    }
    if (withCard) cells.push(`<td>${num(ev.cardMetrics[k])}</td>`);
    cells.push(`<td class="note">${e(METRIC_NOTES[k] ?? '')}</td>`);
    const highlighted = comparison && k === comparison.verdict.metric ? ' class="hl"' : '';
    return `<tr${highlighted}>${cells.join('')}</tr>`;
  });
  const cardNote = withCard ? '<p class="note">“On the card”: the value recorded when the version was registered (on its own test data).</p>' : '';
  return `<section id="metrics"><h2>Metrics</h2><table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>${cardNote}</section>`;
}

function verdictSection(comparison: NonNullable<ReportOptions['comparison']>): string {
  const v = comparison.verdict;
  const cls = v.winner === 'b' ? 'win' : v.winner === 'a' ? 'loss' : 'tie';
  const headline = v.winner === 'b' ? `Challenger v${comparison.other.version} wins` : v.winner === 'a' ? 'Champion wins' : 'Tie: the champion stays';
  return `<section id="verdict" class="verdict ${cls}"><h2>Champion / challenger: ${e(headline)}</h2><p>${e(v.reason)}</p></section>`;
}

function perClassSection(ev: ClassificationEvaluation): string {
  const r = ev.report;
  const rows = r.perClass.map((c) => `<tr><td>${e(c.label)}</td><td>${num(c.precision)}</td><td>${num(c.recall)}</td><td>${num(c.f1)}</td><td>${c.support}</td></tr>`);
  const avg = (name: string, a: { precision: number; recall: number; f1: number }) =>
    `<tr class="avg"><td>${name}</td><td>${num(a.precision)}</td><td>${num(a.recall)}</td><td>${num(a.f1)}</td><td>${r.n}</td></tr>`;
  return `<section id="per-class"><h2>Per class</h2><table><thead><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>${rows.join('')}${avg('macro avg', r.macro)}${avg('weighted avg', r.weighted)}</tbody></table></section>`;
}

function confusionSection(ev: ClassificationEvaluation): string {
  const { labels, matrix } = ev.report.confusionMatrix;
  const head = `<tr><th class="corner">true ↓ / predicted →</th>${labels.map((l) => `<th>${e(l)}</th>`).join('')}<th>total</th></tr>`;
  const body = matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((count, j) => {
      const share = total === 0 ? 0 : count / total;
      const alpha = count === 0 ? 0 : 0.1 + 0.8 * share;
      const color = i === j ? '37,99,235' : '234,88,12';
      const style = `background:rgba(${color},${alpha.toFixed(3)})${alpha > 0.55 ? ';color:#fff' : ''}`;
      return `<td class="cm" style="${style}" title="${e(`true ${labels[i]}, predicted ${labels[j]}: ${count}`)}">${count}<small>${total === 0 ? '' : pct(share)}</small></td>`;
    });
    return `<tr><th>${e(labels[i])}</th>${cells.join('')}<td class="total">${total}</td></tr>`;
  });
  return `<section id="confusion"><h2>Confusion matrix</h2><table class="confusion"><thead>${head}</thead><tbody>${body.join('')}</tbody></table><p class="note">Cells hold counts and their share of the row (the true label). Blue: right, orange: wrong; darker is more.</p></section>`;
}

function curvesSection(ev: ClassificationEvaluation): string {
  const c = ev.curves;
  if (!c) return '';
  const figures: string[] = [];
  if (c.roc) {
    const points = c.roc.fpr.map((x, i): [number, number] => [x, c.roc!.tpr[i]!]);
    figures.push(
      `<figure id="roc">${lineChart('ROC curve', 'false positive rate', 'true positive rate', [{ points: [[0, 0], [1, 1]], cls: 'chance' }, { points, cls: 'curve' }], [{ cls: 'curve', text: `AUC = ${num(c.roc.auc)}` }, { cls: 'chance', text: 'chance (AUC = 0.5)' }], 'bottom-right')}<figcaption>ROC curve, positive label “${e(c.positive)}”</figcaption></figure>`,
    );
  } else {
    figures.push(`<p class="note">No ROC curve: the evaluated rows hold only one class.</p>`);
  }
  const { precision, recall } = c.pr;
  // Step-wise (scikit-learn's drawstyle steps-post over increasing recall), matching average precision.
  const ordered = recall.map((r, i): [number, number] => [r, precision[i]!]).reverse();
  const steps: Array<[number, number]> = [];
  ordered.forEach(([r, p], i) => {
    if (i > 0) steps.push([r, ordered[i - 1]![1]]);
    steps.push([r, p]);
  });
  figures.push(
    `<figure id="pr">${lineChart('Precision-recall curve', 'recall', 'precision', [{ points: [[0, c.pr.prevalence], [1, c.pr.prevalence]], cls: 'chance' }, { points: steps, cls: 'curve' }], [{ cls: 'curve', text: `AP = ${num(c.pr.averagePrecision)}` }, { cls: 'chance', text: `chance (${num(c.pr.prevalence, 3)})` }], 'bottom-left')}<figcaption>Precision-recall curve, positive label “${e(c.positive)}”</figcaption></figure>`,
  );
  return `<section id="curves"><h2>ROC and precision-recall</h2><div class="charts">${figures.join('')}</div></section>`;
}

function confidenceSection(ev: ClassificationEvaluation): string {
  const k = Math.max(2, ev.labels.length);
  const lo = Math.floor((20 / k) + 1e-9) / 20;
  const count = Math.max(1, Math.round((1 - lo) / 0.05));
  const correct = ev.predictions.map((p) => (p.label === p.truth ? 0 : 1));
  const bins = binsOf(ev.confidences, lo, 1, count, (i) => correct[i]!, 2);
  const right = correct.filter((c) => c === 0).length;
  const chart = histogram('Confidence histogram', bins, 'confidence (probability of the predicted label)', ['bar-ok', 'bar-bad'], [`right (${right})`, `wrong (${correct.length - right})`]);
  return `<section id="confidence"><h2>Confidence</h2><div class="charts"><figure>${chart}<figcaption>How sure the model was, split by whether it was right</figcaption></figure></div></section>`;
}

function residualSection(ev: RegressionEvaluation): string {
  const residuals = ev.residuals;
  let lo = Math.min(...residuals);
  let hi = Math.max(...residuals);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const count = Math.min(30, Math.max(5, Math.ceil(Math.sqrt(residuals.length))));
  const bins = binsOf(residuals, lo, hi, count, () => 0, 1);
  const chart = histogram('Residual histogram', bins, 'residual (true − predicted)', ['bar-ok'], ['rows'], 0);
  return `<section id="residuals"><h2>Residuals</h2><div class="charts"><figure>${chart}<figcaption>Distribution of true − predicted over ${residuals.length} rows; the dashed line marks 0</figcaption></figure></div></section>`;
}

function refusedSection(ev: ModelEvaluation, max: number): string {
  if (ev.refused.length === 0) return '';
  const shown = ev.refused.slice(0, max);
  const rows = shown.map((r) => `<tr><td>${r.row}</td><td class="msg">${e(r.message)}</td></tr>`);
  const more = ev.refused.length > shown.length ? `<p class="note">… and ${ev.refused.length - shown.length} more.</p>` : '';
  return `<section id="refused"><h2>Refused rows (${ev.refused.length})</h2><p class="note">These rows were not scored: the model refused their inputs, or their label was missing or unknown. Row numbers count data rows from 0.</p><table><thead><tr><th>row</th><th class="left">why</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}</section>`;
}

const CSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f6f7f9;color:#1f2933;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:28px 24px 40px}
header h1{font-size:22px;margin:0 0 4px}
.sub{color:#52606d;margin:0}
.sub code{font-size:12px}
.stats{display:flex;flex-wrap:wrap;gap:12px;margin-top:14px}
.stat{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:8px 14px;min-width:120px}
.stat b{display:block;font-size:20px}
.stat span{color:#52606d;font-size:12px}
section{background:#fff;border:1px solid #e1e5ea;border-radius:8px;padding:16px 20px;margin-top:16px;overflow-x:auto}
h2{font-size:16px;margin:0 0 10px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:5px 12px;border-bottom:1px solid #e9ecf0;text-align:right;vertical-align:top}
th:first-child,td:first-child,th.left{text-align:left}
thead th{color:#52606d;font-weight:600;border-bottom:2px solid #d5dbe1}
td.note{color:#7b8794;text-align:left;font-size:12px}
tr.avg td{color:#52606d}
tr.hl td{background:#fff8e1}
p.note{color:#7b8794;font-size:12px;margin:8px 0 0}
td.msg{text-align:left;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
table.confusion td.cm{min-width:84px;text-align:center;font-weight:600}
table.confusion td.cm small{display:block;font-weight:400;font-size:11px;opacity:.85}
table.confusion th.corner{color:#7b8794;font-weight:400;font-size:12px}
td.total{color:#52606d}
.charts{display:flex;flex-wrap:wrap;gap:20px}
figure{margin:0}
figcaption{color:#52606d;font-size:12px;text-align:center;margin-top:2px}
svg{display:block;max-width:100%;height:auto}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#52606d}
svg .axis-title{font-size:12px;fill:#323f4b}
svg .legend{fill:#1f2933}
svg .grid{stroke:#eef1f4;stroke-width:1}
svg .frame{fill:none;stroke:#9aa5b1;stroke-width:1}
svg .curve{fill:none;stroke:#2563eb;stroke-width:2;stroke-linejoin:round}
svg .chance{fill:none;stroke:#9aa5b1;stroke-width:1.25;stroke-dasharray:5 4}
svg .marker{stroke:#323f4b;stroke-width:1.25;stroke-dasharray:4 3}
svg .legend-box{fill:#fff;fill-opacity:.92;stroke:#d5dbe1}
svg .bar-ok{fill:#2563eb}
svg .bar-bad{fill:#ea580c}
.verdict{border-left-width:5px}
.verdict.win{border-left-color:#16a34a}
.verdict.loss{border-left-color:#dc2626}
.verdict.tie{border-left-color:#9aa5b1}
.verdict p{margin:0}
footer{color:#9aa5b1;font-size:12px;margin-top:18px}
@media print{body{background:#fff}section{break-inside:avoid}}
`;

/** The evaluation as one self-contained HTML document (see the module comment). */
export function renderReportHtml(evaluation: ModelEvaluation, options: ReportOptions = {}): string {
  const ev = evaluation;
  const title = options.title ?? `Evaluation of ${ev.model} v${ev.version}`;
  const generated = (options.generatedAt ?? new Date()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const dataLine = [
    options.data !== undefined ? `data <b>${e(options.data)}</b>` : 'data',
    options.dataSha256 ? `<code>sha256:${e(options.dataSha256.slice(0, 16))}…</code>` : '',
    `label column <b>${e(ev.label)}</b>`,
    `task ${e(ev.task)}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const headline = ev.task === 'classification' ? { name: 'accuracy', value: ev.metrics['accuracy'] } : { name: 'RMSE', value: ev.metrics['rmse'] };
  const stats = [
    { value: String(ev.rows), label: 'rows' },
    { value: String(ev.evaluated), label: 'evaluated' },
    { value: String(ev.refused.length), label: 'refused' },
    { value: num(headline.value), label: headline.name },
  ];
  if (ev.task === 'classification' && ev.metrics['roc_auc'] !== undefined) stats.push({ value: num(ev.metrics['roc_auc']), label: 'ROC AUC' });
  if (ev.task === 'regression' && ev.metrics['r2'] !== undefined) stats.push({ value: num(ev.metrics['r2']), label: 'R²' });

  const sections: string[] = [];
  if (options.comparison) sections.push(verdictSection(options.comparison));
  sections.push(metricsSection(ev, options.comparison));
  if (ev.task === 'classification') {
    sections.push(perClassSection(ev), confusionSection(ev), curvesSection(ev), confidenceSection(ev));
  } else {
    sections.push(residualSection(ev));
  }
  sections.push(refusedSection(ev, options.maxRefusedRows ?? 100));

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${e(title)}</h1>
<p class="sub">${dataLine}</p>
<div class="stats">${stats.map((s) => `<div class="stat"><b>${e(s.value)}</b><span>${e(s.label)}</span></div>`).join('')}</div>
</header>
${sections.filter(Boolean).join('\n')}
<footer>Generated by Berth on ${e(generated)}.</footer>
</main>
</body>
</html>
`;
}
