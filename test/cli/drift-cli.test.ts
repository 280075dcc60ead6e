/**
 * `berth drift` end to end through the built bin/berth.js (npm run build first). The fixtures
 * test/fixtures/drift/{reference,current}.csv are the golden case "small_mixed" written as CSV by
 * scripts/goldens/make_drift_goldens.py, so the CLI's numbers are checked against scipy too: statistics
 * to 1e-9 relative, p-values to 1e-7 relative (absolute floor 1e-15), as in the drift golden test.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../src/monitoring/drift/index.js';
import { json, runCli } from '../helpers/run-cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const REF = path.join(ROOT, 'test/fixtures/drift/reference.csv');
const CUR = path.join(ROOT, 'test/fixtures/drift/current.csv');

interface GoldenRun {
  options: Record<string, unknown>;
  expected: { columns: Array<{ column: string; method: string; statistic: number | string; p_value: number | string | null; drifted: boolean }>; drifted: number; dataset_drift: boolean };
}
const golden = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/goldens/drift.json'), 'utf8')) as { cases: Array<{ name: string; runs: GoldenRun[] }> };
const smallMixed = golden.cases.find((c) => c.name === 'small_mixed')!;

function close(actual: number | null, expected: number | string | null, rtol: number): void {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  const e = typeof expected === 'string' ? Number(expected) : expected;
  expect(Math.abs((actual as number) - e)).toBeLessThanOrEqual(Math.max(rtol * Math.abs(e), 1e-15));
}

function matchesGolden(report: DriftReport, run: GoldenRun): void {
  expect(report.columns.map((c) => c.column)).toEqual(run.expected.columns.map((c) => c.column));
  report.columns.forEach((c, i) => {
    const e = run.expected.columns[i]!;
    expect(c.method, c.column).toBe(e.method);
    expect(c.drifted, c.column).toBe(e.drifted);
    close(c.statistic, e.statistic, 1e-9);
    close(c.p_value, e.p_value, 1e-7);
  });
  expect(report.drifted).toBe(run.expected.drifted);
  expect(report.dataset_drift).toBe(run.expected.dataset_drift);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-drift-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => runCli(args, { cwd: tmp });

describe('berth drift', () => {
  beforeAll(async () => {
    const help = await cli('--help');
    if (!/^\s+drift\b/m.test(help.stdout)) {
      throw new Error("'berth drift' is not a command of bin/berth.js: register driftCommand() from src/cli/commands/drift.ts in src/cli/main.ts and run npm run build");
    }
  });

  it('prints the drift report as JSON, matching the goldens', async () => {
    const report = json<DriftReport>(await cli('--json', 'drift', '--reference', REF, '--current', CUR));
    matchesGolden(report, smallMixed.runs[0]!);
    expect(report).toMatchObject({ tested: 6, drifted: 4, drift_share_threshold: 0.5, dataset_drift: true, correction: 'none', sampled: false, reference_rows: 300, current_rows: 200 });
    expect(report.columns.map((c) => c.kind)).toEqual(['numeric', 'numeric', 'numeric', 'numeric', 'categorical', 'categorical']);
  });

  it('prints a table and the dataset verdict for people, with exit code 0 even when the data drifted', async () => {
    const result = await cli('drift', '--reference', REF, '--current', CUR);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/│ column\s+│ kind\s+│ method\s+│ statistic\s+│ p-value\/score\s+│ threshold\s+│ drifted\s+│/);
    expect(result.stdout).toMatch(/│ age\s+│ numeric\s+│ ks\s+│ 0\.2250\s+│ 8\.772e-6\s+│ 0\.05\s+│ yes\s+│/);
    expect(result.stdout).toMatch(/│ member\s+│ categorical\s+│ z\s+│ 0\.8960\s+│ 0\.3703\s+│ 0\.05\s+│ no\s+│/);
    expect(result.stdout).toContain('dataset drift: yes (4 of 6 columns, share 0.6667 >= threshold 0.5)');
  });

  it('takes columns, methods, thresholds, a drift share and a correction', async () => {
    const chosen = json<DriftReport>(await cli('--json', 'drift', '--reference', REF, '--current', CUR, '--columns', 'city, age', '--threshold', 'ks=0.01', '--threshold', 'chisquare=0.5'));
    matchesGolden(chosen, smallMixed.runs[3]!);
    expect(chosen.columns.map((c) => c.threshold)).toEqual([0.5, 0.01]);

    const methods = json<DriftReport>(await cli('--json', 'drift', '--reference', REF, '--current', CUR, '--method', 'age=psi', '--method', 'income=wasserstein', '--drift-share', '0.7', '--correction', 'bh'));
    expect(methods.columns.map((c) => c.method)).toEqual(['psi', 'wasserstein', 'z', 'chisquare', 'chisquare', 'z']);
    close(methods.columns[0]!.statistic, smallMixed.runs[2]!.expected.columns[0]!.statistic, 1e-9);
    expect(methods).toMatchObject({ correction: 'bh', drift_share_threshold: 0.7 });
    expect(methods.columns[0]!.adjusted_p_value).toBeNull();
    expect(methods.columns[2]!.adjusted_p_value).toBeGreaterThanOrEqual(methods.columns[2]!.p_value!);

    const human = await cli('drift', '--reference', REF, '--current', CUR, '--drift-share', '0.7', '--correction', 'bonferroni');
    expect(human.stdout).toContain('adjusted p (bonferroni)');
    expect(human.stdout).toContain('dataset drift: no (4 of 6 columns, share 0.6667 < threshold 0.7)');
  });

  it('writes a self-contained HTML report', async () => {
    const file = path.join(tmp, 'drift.html');
    const result = await cli('drift', '--reference', REF, '--current', CUR, '--report', file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`report written to ${file}`);
    expect(existsSync(file)).toBe(true);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<title>Data drift: current.csv against reference.csv</title>');
    expect(html).toContain('Dataset drift detected');
    expect(html.match(/<svg /g)).toHaveLength(6);
    expect(html).not.toMatch(/<script|<link|src=/i);
  });

  it('--fail-on-drift exits 3 on dataset drift, 0 without', async () => {
    const drifted = await cli('drift', '--reference', REF, '--current', CUR, '--fail-on-drift');
    expect(drifted.code).toBe(3);
    expect(drifted.stdout).toContain('dataset drift: yes');
    const json3 = await cli('--json', 'drift', '--reference', REF, '--current', CUR, '--fail-on-drift');
    expect(json3.code).toBe(3);
    expect(JSON.parse(json3.stdout)).toMatchObject({ dataset_drift: true });
    const calm = await cli('drift', '--reference', REF, '--current', REF, '--fail-on-drift');
    expect(calm.code, calm.stderr).toBe(0);
    expect(calm.stdout).toContain('dataset drift: no (0 of 6 columns, share 0 < threshold 0.5)');
  });

  it('types a column over both files: one text cell makes it categorical', async () => {
    const ref = path.join(tmp, 'typed-ref.csv');
    const cur = path.join(tmp, 'typed-cur.csv');
    writeFileSync(ref, 'code,x\n1,1\n2,2\n3,3\n1,4\n2,5\n3,6\n');
    writeFileSync(cur, 'code,x\n1,1\nn/a,2\n3,\n1,4\n2,5\n3,6\n');
    const report = json<DriftReport>(await cli('--json', 'drift', '--reference', ref, '--current', cur));
    expect(report.columns.map((c) => [c.column, c.kind, c.method])).toEqual([
      ['code', 'categorical', 'chisquare'],
      ['x', 'numeric', 'ks'],
    ]);
    expect(report.columns[0]!.note).toBe('not in the reference: n/a');
    expect(report.columns[1]).toMatchObject({ current_rows: 6, current_missing: 1 });
  });

  describe('refuses bad input with a clear message naming the file or column', () => {
    const noCity = path.join(tmp, 'no-city.csv');
    writeFileSync(noCity, `${readFileSync(CUR, 'utf8').split('\n').map((line) => line.split(',').filter((_, i) => i !== 4).join(',')).join('\n')}`);
    const binary = path.join(tmp, 'model.onnx');
    writeFileSync(binary, Buffer.from([0x08, 0x07, 0x12, 0x00, 0x01, 0x02]));
    const cases: Array<[string[], RegExp]> = [
      [['--reference', path.join(tmp, 'nope.csv'), '--current', CUR], /^error: cannot read .*nope\.csv: no such file$/m],
      [['--reference', REF, '--current', noCity], /^error: column 'city' of .*reference\.csv is not in .*no-city\.csv \(compare the shared columns with --columns\)$/m],
      [['--reference', REF, '--current', CUR, '--columns', 'age,zip'], /^error: column 'zip' is not in .*reference\.csv \(columns: age, income, flag, rating, city, member\)$/m],
      [['--reference', REF, '--current', binary], /^error: .*model\.onnx is not a CSV file \(it holds binary data\)$/m],
      [['--reference', REF, '--current', CUR, '--method', 'age'], /^error: --method 'age' must look like column=method$/m],
      [['--reference', REF, '--current', CUR, '--method', 'age=anova'], /^error: --method: unknown method 'anova' \(known: ks, chisquare, z, wasserstein, jensenshannon, psi\)$/m],
      [['--reference', REF, '--current', CUR, '--method', 'city=ks'], /^error: ks needs numbers, but column 'city' is categorical$/m],
      [['--reference', REF, '--current', CUR, '--method', 'zip=ks'], /^error: --method zip=ks: no column 'zip' is compared/m],
      [['--reference', REF, '--current', CUR, '--threshold', 'psi=high'], /^error: --threshold psi: expected a number >= 0, got 'high'$/m],
      [['--reference', REF, '--current', CUR, '--drift-share', '2'], /^error: --drift-share expects a number between 0 and 1, got '2'$/m],
    ];
    it.each(cases.map(([args, message]) => [args.map((a) => path.basename(a)).join(' '), args, message] as const))('drift %s', async (_label, args, message) => {
      const result = await cli('drift', ...args);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
    });

    it('as JSON with --json, and usage errors exit 2', async () => {
      const asJson = await cli('--json', 'drift', '--reference', REF, '--current', noCity);
      expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'invalid_input', message: expect.stringContaining("column 'city'") } });
      expect((await cli('drift', '--reference', REF)).code).toBe(2); // --current is required
      expect((await cli('drift', '--reference', REF, '--current', CUR, '--correction', 'holm')).code).toBe(2);
    });
  });
});
