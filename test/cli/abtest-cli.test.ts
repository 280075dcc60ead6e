import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AbTestView } from '../../src/abtest/index.js';
import { json, runCli } from '../helpers/run-cli.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';

const [sqlite] = storeTargets();

interface Analysis {
  srm: { mismatch: boolean; p_value: number; observed: number[] };
  metrics: Array<{ metric: string; treatment: { variant: string }; p_value: number }>;
  decision: { action: string; reason: string };
}

/** Deterministic outcome rows: `n` subjects per variant, conversion rates as given. */
function csv(counts: Record<string, number>, rates: Record<string, number>): string {
  const lines = ['subject,variant,metric,value'];
  for (const [variant, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) lines.push(`${variant}-${i},${variant},conversion,${(i * 7919) % 1000 < rates[variant]! * 1000 ? 1 : 0}`);
  }
  return lines.join('\n');
}

describe('berth abtest', () => {
  const made = sqlite!.make();
  const home = made.config.home;
  const cli = (...args: string[]) => runCli(args, { env: made.env, cwd: home });
  beforeAll(async () => {
    for (const v of ['breast_cancer_v1', 'breast_cancer_v2']) json(await cli('versions', 'register', 'bc', '--onnx', fixtureModel(`${v}.onnx`), '--card', fixtureModel(`${v}.card.json`), '--json'));
  }, 60_000);
  afterAll(() => made.cleanup());

  it('create, start, pause, resume, stop --promote; refuses bad flags with the flag named', async () => {
    const created = json<AbTestView>(await cli('abtest', 'create', 'exp1', '--model', 'bc', '--variant', '1:0.5', '--variant', '2:0.5', '--seed', 'keep-me', '--segment', 'mean_radius in [0, 30]', '--guardrail', 'error_rate:0.05', '--json'));
    expect(created).toMatchObject({ status: 'draft', spec: { seed: 'keep-me', coverage: 1, segment: 'mean_radius in [0, 30]', guardrails: [{ metric: 'error_rate', threshold: 0.05 }] } });
    expect((await cli('abtest', 'create', 'exp2', '--model', 'bc', '--variant', '1:0.5')).stderr).toMatch(/--variant: give at least two/);
    expect((await cli('abtest', 'create', 'exp2', '--model', 'bc', '--variant', '1:half', '--variant', '2:0.5')).stderr).toMatch(/--variant: expected VERSION:SHARE/);
    expect(json<AbTestView>(await cli('abtest', 'start', 'exp1', '--json')).status).toBe('running');
    expect(json<AbTestView>(await cli('abtest', 'pause', 'exp1', '--json')).status).toBe('paused');
    expect(json<AbTestView>(await cli('abtest', 'resume', 'exp1', '--json')).status).toBe('running');
    const results = await cli('abtest', 'results', 'exp1');
    expect(results.code).toBe(0);
    expect(results.stdout).toMatch(/not ready to decide/);
    const list = await cli('abtest', 'list');
    expect(list.stdout).toMatch(/exp1\s.*running/);
    const stopped = json<AbTestView>(await cli('abtest', 'stop', 'exp1', '--promote', 'B', '--json'));
    expect(stopped).toMatchObject({ status: 'stopped', winner: 'B' });
    const aliases = json<Array<{ alias: string; version: number }>>(await cli('alias', 'list', 'bc', '--json'));
    expect(aliases.find((a) => a.alias === 'production')?.version).toBe(2);
  }, 60_000);

  it('analyze: a clear winner on balanced data; SRM flagged first on skewed counts; an HTML report with the forest plot', async () => {
    const balanced = path.join(home, 'balanced.csv');
    writeFileSync(balanced, csv({ A: 2000, B: 2000 }, { A: 0.1, B: 0.14 }));
    const report = path.join(home, 'report.html');
    const a = json<Analysis>(await cli('abtest', 'analyze', balanced, '--report', report, '--json'));
    expect(a.srm.mismatch).toBe(false);
    expect(a.metrics[0]!.treatment.variant).toBe('B');
    expect(a.metrics[0]!.p_value).toBeLessThan(0.001);
    expect(a.decision.action).toBe('promote');
    expect(existsSync(report)).toBe(true);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/<svg[^>]*aria-label="relative effects with confidence intervals"/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);

    const skewed = path.join(home, 'skewed.csv');
    writeFileSync(skewed, csv({ A: 5000, B: 5400 }, { A: 0.1, B: 0.14 }));
    const s = json<Analysis>(await cli('abtest', 'analyze', skewed, '--json'));
    expect(s.srm.observed).toEqual([5000, 5400]);
    expect(s.srm.mismatch).toBe(true);
    expect(s.decision.reason).toMatch(/sample ratio mismatch/);
    const text = await cli('abtest', 'analyze', skewed);
    expect(text.stdout.split('\n')[0]).toMatch(/SAMPLE RATIO MISMATCH/);

    const bad = path.join(home, 'bad.csv');
    writeFileSync(bad, 'subject,variant,value\n1,A,1\n');
    expect((await cli('abtest', 'analyze', bad)).stderr).toMatch(/missing column 'metric'/);
  }, 60_000);
});
