import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { analyzeMetric, decide, sampleRatioMismatch, statsFromRows, type AbTestResults, type AbTestView, type MetricResult } from '../../abtest/index.js';
import { renderResultsHtml } from '../../abtest/report-html.js';
import { BerthError } from '../../errors/index.js';
import { localActor, output, withBerth } from '../context.js';
import { collect, shortTime } from '../output.js';

function pair(flag: string, text: string): [number, number] {
  const m = /^(\d+):(\d*\.?\d+)$/.exec(text.trim());
  if (!m) throw new BerthError('invalid_input', `${flag}: expected VERSION:SHARE like 2:0.5, got '${text}'`);
  return [Number(m[1]), Number(m[2])];
}


function pct(v: number): string {
  return Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}%` : '-';
}

function printMetrics(cmd: Command, metrics: readonly MetricResult[]): void {
  output(cmd).table(
    ['metric', 'variant', 'n (A/B)', 'mean A → B', 'relative [CI]', 'p', 'always-valid p', 'P(win)'],
    metrics.map((m) => [
      m.metric,
      `${m.treatment.variant} vs ${m.control.variant}`,
      `${m.control.n}/${m.treatment.n}`,
      `${m.control.mean.toFixed(4)} → ${m.treatment.mean.toFixed(4)}`,
      `${pct(m.relative)} [${pct(m.relative_ci[0])}, ${pct(m.relative_ci[1])}]`,
      m.p_value.toPrecision(3),
      m.sequential_p_value.toPrecision(3),
      m.chance_to_win.toFixed(3),
    ]),
  );
}

function printResults(cmd: Command, r: AbTestResults): void {
  const out = output(cmd);
  out.line(`${r.name} (${r.model}), phase ${r.phase}, ${r.status}, ${r.elapsed_hours.toFixed(1)} h`);
  out.line(r.srm.mismatch ? `SAMPLE RATIO MISMATCH: p = ${r.srm.p_value.toPrecision(3)} < 0.001 — fix the assignment before trusting any effect` : `sample ratio fine (p = ${r.srm.p_value.toPrecision(3)})`);
  out.table(['variant', 'version', 'weight', 'units', 'paused'], r.variants.map((v) => [v.variant, v.version, v.weight, v.subjects, v.paused ?? '']));
  printMetrics(cmd, r.metrics);
  if (r.required_samples_per_arm !== null) out.line(`samples per arm to detect a 10% relative lift: ${r.required_samples_per_arm}`);
  out.line(`${r.ready_to_decide ? 'ready to decide' : 'not ready to decide'}: ${r.decision.action.replace('_', ' ')} — ${r.decision.reason}`);
}

function printTest(cmd: Command, t: AbTestView): void {
  const out = output(cmd);
  out.line(`${t.name}: ${t.model}, ${t.status}, phase ${t.phase}, seed ${t.spec.seed}, coverage ${t.spec.coverage}${t.spec.segment ? `, segment: ${t.spec.segment}` : ''}`);
  out.table(['variant', 'version', 'weight', 'paused'], t.spec.variants.map((v) => [v.key, v.version, v.weight, t.spec.paused_variants[v.key] ?? '']));
  for (const s of t.spec.shadows) out.line(`shadow: v${s.version}, share ${s.share}`);
  for (const g of t.spec.guardrails) out.line(`guardrail: ${g.metric} > ${g.threshold} over ${g.window_minutes ?? 15} min pauses a variant`);
}

/** `berth abtest ...`: on the local store (a running `berth serve` on the same store follows changes within its watch interval). */
export function abtestCommand(): Command {
  const abtest = new Command('abtest').description('A/B tests, canaries and shadows');

  abtest
    .command('create <name>')
    .description('create a draft test: the first --variant is the control')
    .requiredOption('--model <model>', 'the model whose traffic is split')
    .option('--variant <version:weight>', 'a variant (repeat; weights sum to 1)', collect)
    .option('--coverage <share>', 'share of subjects in the test (default 1)')
    .option('--seed <seed>', 'hash seed (generated unless given; reuse a previous system’s to keep assignments)')
    .option('--shadow <version:share>', 'mirror a share of test traffic to a version, never returned (repeat)', collect)
    .option('--segment <expr>', 'who is eligible, e.g. "age in [65, 85] and region in [north, south]"')
    .option('--metric <name>', 'primary metric (an outcome metric, or accuracy from feedback)', 'accuracy')
    .option('--lower-is-better', 'the primary metric improves downwards')
    .option('--min-samples <n>', 'samples per arm before deciding', '100')
    .option('--min-hours <h>', 'hours before deciding', '0')
    .option('--guardrail <metric:threshold>', 'error_rate:0.05 or latency_p99_ms:500 (repeat)', collect)
    .option('-d, --description <text>', 'what the test is about')
    .action(async (name: string, opts: { model: string; variant?: string[]; coverage?: string; seed?: string; shadow?: string[]; segment?: string; metric: string; lowerIsBetter?: boolean; minSamples: string; minHours: string; guardrail?: string[]; description?: string }, cmd: Command) => {
      if (!opts.variant || opts.variant.length < 2) throw new BerthError('invalid_input', '--variant: give at least two, e.g. --variant 1:0.5 --variant 2:0.5 (the first is the control)');
      const guardrails = (opts.guardrail ?? []).map((g) => {
        const m = /^(error_rate|latency_p99_ms):(\d*\.?\d+)$/.exec(g);
        if (!m) throw new BerthError('invalid_input', `--guardrail: expected error_rate:0.05 or latency_p99_ms:500, got '${g}'`);
        return { metric: m[1] as 'error_rate' | 'latency_p99_ms', threshold: Number(m[2]) };
      });
      const body = {
        name,
        model: opts.model,
        variants: opts.variant.map((v) => {
          const [version, weight] = pair('--variant', v);
          return { version, weight };
        }),
        ...(opts.coverage !== undefined ? { coverage: Number(opts.coverage) } : {}),
        ...(opts.seed ? { seed: opts.seed } : {}),
        ...(opts.segment ? { segment: opts.segment } : {}),
        ...(opts.description ? { description: opts.description } : {}),
        shadows: (opts.shadow ?? []).map((s) => {
          const [version, share] = pair('--shadow', s);
          return { version, share };
        }),
        guardrails,
        primary_metric: opts.metric,
        higher_is_better: !opts.lowerIsBetter,
        min_samples_per_arm: Number(opts.minSamples),
        min_duration_hours: Number(opts.minHours),
      };
      const t = await withBerth(cmd, (berth) => berth.abtests.create(body, localActor()));
      output(cmd).result(t, () => printTest(cmd, t));
    });

  abtest
    .command('list')
    .description('tests, newest first')
    .option('--model <model>', 'only this model')
    .action(async (opts: { model?: string }, cmd: Command) => {
      const list = await withBerth(cmd, (berth) => berth.abtests.list({ model: opts.model }));
      const out = output(cmd);
      out.result(list, () => out.table(['name', 'model', 'status', 'phase', 'variants', 'started'], list.map((t) => [t.name, t.model, t.status, t.phase, t.spec.variants.map((v) => `${v.key}=v${v.version}:${v.weight}`).join(' '), shortTime(t.started_at)])));
    });

  abtest.command('show <name>').description('a test, its variants, shadows and guardrails').action(async (name: string, _o: unknown, cmd: Command) => {
    const t = await withBerth(cmd, (berth) => berth.abtests.get(name));
    output(cmd).result(t, () => printTest(cmd, t));
  });
  for (const [verb, what] of [['start', 'start a draft (or resume a paused test)'], ['resume', 'resume a paused test'], ['pause', 'pause: all traffic gets the default routing']] as const) {
    abtest.command(`${verb} <name>`).description(what).action(async (name: string, _o: unknown, cmd: Command) => {
      const t = await withBerth(cmd, (berth) => (verb === 'pause' ? berth.abtests.pause(name, localActor()) : berth.abtests.start(name, localActor())));
      output(cmd).result(t, () => output(cmd).line(`${t.name}: ${t.status} (phase ${t.phase})`));
    });
  }
  abtest
    .command('stop <name>')
    .description('stop the test; --promote KEY moves production to that variant in the same step')
    .option('--promote <variant>', 'variant to promote')
    .option('--reason <text>', 'why (recorded with the alias move)')
    .action(async (name: string, opts: { promote?: string; reason?: string }, cmd: Command) => {
      const t = await withBerth(cmd, (berth) => berth.abtests.stop(name, opts, localActor()));
      output(cmd).result(t, () => output(cmd).line(`${t.name}: stopped${t.winner ? `; promoted variant ${t.winner}` : ''}`));
    });

  abtest
    .command('results <name>')
    .description('analysis: sample ratio first, then effects, p-values (fixed and always-valid), chance to win, decision')
    .option('--phase <n>', 'phase (default: the current one)')
    .addOption(new Option('--correction <method>', 'across metrics').choices(['none', 'holm', 'bh']).default('none'))
    .option('--report <file.html>', 'write a self-contained HTML report with a forest plot of effects')
    .action(async (name: string, opts: { phase?: string; correction: 'none' | 'holm' | 'bh'; report?: string }, cmd: Command) => {
      const r = await withBerth(cmd, (berth) => berth.abtests.results(name, { phase: opts.phase === undefined ? undefined : Number(opts.phase), correction: opts.correction }));
      if (opts.report) writeFileSync(opts.report, renderResultsHtml({ title: `A/B test ${r.name} (${r.model}), phase ${r.phase}`, ...r }));
      output(cmd).result(r, () => printResults(cmd, r));
    });

  abtest
    .command('analyze <file>')
    .description('analyze exported data with no server: CSV with columns subject, variant, metric, value')
    .option('--control <variant>', 'the control variant (default: the first variant in the file)')
    .option('--weights <w1,w2,...>', 'planned weights in variant order, for the sample ratio check (default equal)')
    .option('--alpha <a>', 'significance level', '0.05')
    .option('--metric <name>', 'primary metric (default: the first in the file)')
    .option('--lower-is-better', 'the primary metric improves downwards')
    .option('--report <file.html>', 'write the HTML report')
    .action(async (file: string, opts: { control?: string; weights?: string; alpha: string; metric?: string; lowerIsBetter?: boolean; report?: string }, cmd: Command) => {
      const { parse } = await import('csv-parse/sync');
      let records: Array<Record<string, string>>;
      try {
        records = parse(readFileSync(file), { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
      } catch (err) {
        throw new BerthError('invalid_input', `cannot read ${file} as CSV with a header row: ${(err as Error).message}`);
      }
      if (records.length === 0) throw new BerthError('invalid_input', `${file} has no rows`);
      for (const column of ['subject', 'variant', 'metric', 'value']) if (!(column in records[0]!)) throw new BerthError('invalid_input', `${file}: missing column '${column}' (columns: ${Object.keys(records[0]!).join(', ')})`);
      const rows = records.map((r, i) => {
        const value = r['value'] === 'true' ? 1 : r['value'] === 'false' ? 0 : Number(r['value']);
        if (r['value'] === '' || !Number.isFinite(value)) throw new BerthError('invalid_input', `${file} row ${i + 2}: value must be a number or true/false, got '${r['value']}'`);
        return { subject: r['subject']!, variant: r['variant']!, metric: r['metric']!, value };
      });
      const order = [...new Set(rows.map((r) => r.variant))];
      const control = opts.control ?? order[0]!;
      if (!order.includes(control)) throw new BerthError('invalid_input', `--control: '${control}' is not a variant in ${file} (variants: ${order.join(', ')})`);
      const variants = [control, ...order.filter((v) => v !== control)];
      const weights = opts.weights ? opts.weights.split(',').map(Number) : variants.map(() => 1 / variants.length);
      if (weights.length !== variants.length || weights.some((w) => !(w >= 0))) throw new BerthError('invalid_input', `--weights: expected ${variants.length} numbers (variants ${variants.join(', ')}), got '${opts.weights}'`);
      const units = variants.map((v) => new Set(rows.filter((r) => r.variant === v).map((r) => r.subject)).size);
      const srm = sampleRatioMismatch(units, weights);
      const alpha = Number(opts.alpha);
      const metrics: MetricResult[] = [];
      for (const [metric, m] of statsFromRows(rows)) {
        const byVariant = new Map(m.arms.map((a) => [a.variant, a]));
        const controlArm = byVariant.get(control);
        if (!controlArm) continue;
        for (const v of variants.slice(1)) {
          const arm = byVariant.get(v);
          if (arm && arm.n >= 2 && controlArm.n >= 2) metrics.push(analyzeMetric(metric, m.kind, controlArm, arm, { alpha }));
        }
      }
      const primaryName = opts.metric ?? rows[0]!.metric;
      const primary = metrics.filter((m) => m.metric === primaryName);
      if (primary.length === 0) throw new BerthError('invalid_input', `${file}: no comparison of '${primaryName}' between ${control} and another variant has two or more values per arm`);
      const decision = decide({ primary, srm: { mismatch: srm.mismatch, pValue: srm.pValue }, minSamplesPerArm: 1, minDurationHours: 0, elapsedHours: 0, higherIsBetter: !opts.lowerIsBetter, useSequential: false });
      const result = { file, control, variants: variants.map((v, i) => ({ variant: v, subjects: units[i]!, weight: weights[i]! })), srm: { statistic: srm.statistic, p_value: srm.pValue, mismatch: srm.mismatch, expected: srm.expected, observed: units }, metrics, decision };
      if (opts.report) writeFileSync(opts.report, renderResultsHtml({ title: `A/B analysis of ${file}`, ...result }));
      const out = output(cmd);
      out.result(result, () => {
        out.line(srm.mismatch ? `SAMPLE RATIO MISMATCH: p = ${srm.pValue.toPrecision(3)} < 0.001` : `sample ratio fine (p = ${srm.pValue.toPrecision(3)})`);
        printMetrics(cmd, metrics);
        out.line(`${decision.action.replace('_', ' ')} — ${decision.reason}`);
      });
    });
  return abtest;
}
