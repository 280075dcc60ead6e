import { describe, expect, it } from 'vitest';
import Value from 'typebox/value';
import { BUILTIN_STEPS, MAX_RETRY_DELAY_MS, parsePipeline, PipelineSpec, retryDelayMs, type StepSpec } from '../../src/pipelines/spec.js';
import { refusal } from '../helpers/refusals.js';

const EXAMPLE = `name: retrain-breast-cancer        # required
description: optional text
params: {model: breast-cancer, min_improvement: 0.005, auto: true}
schedule: "0 3 * * *"
env: {A: "b"}
working_dir: ./scripts
steps:
  - id: prepare
    name: Prepare the data
    run: python3 prep.py "\${{ params.model }}"
    env: {K: v}
    working_dir: sub
    retries: 2
    retry_delay: 5s
    retry_backoff: 2
    timeout: 10m
  - id: train
    uses: train
    with: {data: "\${{ steps.prepare.outputs.path }}", label: diagnosis}
    needs: [prepare]
    if: "steps.prepare.outputs.rows > 100 && params.auto"
`;

/** The example with one line replaced: each refusal test changes exactly one thing. */
function variant(find: string, replace: string): string {
  if (!EXAMPLE.includes(find)) throw new Error(`test bug: ${find} not in the example`);
  return EXAMPLE.replace(find, replace);
}

const refused = (text: string, source?: string) => refusal(() => parsePipeline(text, source));

describe('parsePipeline', () => {
  it('reads the documented example and normalizes it', () => {
    const spec = parsePipeline(EXAMPLE, 'retrain.yaml');
    expect(spec.name).toBe('retrain-breast-cancer');
    expect(spec.params).toEqual({ model: 'breast-cancer', min_improvement: 0.005, auto: true });
    expect(spec.schedule).toBe('0 3 * * *');
    expect(spec.steps).toHaveLength(2);
    expect(spec.steps[0]).toEqual({
      id: 'prepare',
      name: 'Prepare the data',
      run: 'python3 prep.py "${{ params.model }}"',
      env: { K: 'v' },
      working_dir: 'sub',
      retries: 2,
      retry_delay: '5s',
      retry_backoff: 2,
      timeout: '10m',
      needs: [],
    });
    expect(spec.steps[1]).toMatchObject({ id: 'train', uses: 'train', needs: ['prepare'], retries: 0, retry_delay: '1s', retry_backoff: 2 });
    // The normalized spec is plain JSON (it is stored with each run) and still matches the file schema.
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(Value.Check(PipelineSpec, spec)).toBe(true);
  });

  it('turns a single needs into a list and drops repeats', () => {
    const spec = parsePipeline(variant('needs: [prepare]', 'needs: prepare'));
    expect(spec.steps[1]!.needs).toEqual(['prepare']);
    expect(parsePipeline(variant('needs: [prepare]', 'needs: [prepare, prepare]')).steps[1]!.needs).toEqual(['prepare']);
  });

  it('accepts every builtin and a minimal pipeline', () => {
    expect(BUILTIN_STEPS).toEqual(expect.arrayContaining(['train', 'evaluate', 'register', 'compare', 'promote', 'abtest', 'batch-predict', 'drift']));
    for (const uses of BUILTIN_STEPS) {
      expect(parsePipeline(`name: p\nsteps:\n  - id: s\n    uses: ${uses}\n`).steps[0]!.uses).toBe(uses);
    }
    expect(parsePipeline('name: p\nsteps: [{id: a, run: "true"}]').steps[0]!.run).toBe('true');
  });

  it('accepts hyphenated step ids in expressions, env, run and run.* references', () => {
    const text = `name: p
params: {n: 3}
env: {GLOBAL: "\${{ params.n }}-\${{ run.id }}"}
steps:
  - id: feature-eng
    run: echo
  - id: fit
    needs: feature-eng
    run: echo "\${{ steps.feature-eng.outputs.file }} \${{ steps.feature-eng.state }} \${{ env.HOME }} \${{ run.attempt }}"
  - id: report
    needs: fit
    uses: evaluate
    with:
      nested: {list: ["\${{ steps.feature-eng.outputs['a b'] }}"]}
    if: "\${{ steps.fit.outputs.score >= 0.9 }}"
`;
    expect(parsePipeline(text).steps.map((s) => s.id)).toEqual(['feature-eng', 'fit', 'report']);
  });

  describe('refuses, naming the field, what was expected and what came', () => {
    it.each([
      ['retries: 2', 'retries: 99', 'steps[0].retries: expected integer <= 20, got 99 (line 13)'],
      ['retries: 2', 'retries: 1.5', 'steps[0].retries: expected an integer between 0 and 20, got 1.5'],
      ['retry_backoff: 2', 'retry_backoff: 0.5', 'steps[0].retry_backoff: expected number >= 1, got 0.5'],
      ['name: retrain-breast-cancer', 'name: -bad name', 'name: expected a name matching'],
      ['- id: prepare', '- id: Prepare', 'steps[0].id: expected a step id matching /^[a-z][a-z0-9_-]{0,63}$/, got "Prepare"'],
      ['uses: train', 'uses: trian', 'steps[1].uses: expected one of "train", "evaluate"'],
      ['needs: [prepare]', 'needs: 3', 'steps[1].needs: expected a step id or a list of step ids, got 3'],
      ['timeout: 10m', 'timeout: [1]', 'steps[0].timeout: expected a duration such as 30s'],
      ['env: {K: v}', 'env: {K: 1}', 'steps[0].env.K: expected a string, got 1 (quote numbers and booleans in YAML)'],
      ['env: {K: v}', 'env: {1K: v}', 'steps[0].env["1K"]: invalid name; expected a variable name'],
      ['params: {model', 'params: {bad key: 1, model', 'params["bad key"]: invalid name; expected a param name'],
      ['min_improvement: 0.005', 'min_improvement: [1]', 'params.min_improvement: expected a string or a number or true or false, got [1]'],
      ['    timeout: 10m', '    timeout: 10m\n    timout: 5m', "steps[0].timout: unknown key; expected one of id, name, run, uses"],
      ['description: optional text', 'descripton: typo', 'descripton: unknown key'],
    ])('%s → %s', (find, replace, message) => {
      const err = refused(variant(find, replace), 'retrain.yaml');
      expect(err.code).toBe('invalid_input');
      expect(err.message).toMatch(/^invalid pipeline retrain\.yaml: /);
      expect(err.message).toContain(message);
    });

    it('missing required fields', () => {
      expect(refused('steps: [{id: a, run: x}]').message).toContain('name: expected a name matching /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, got nothing (it is required)');
      expect(refused('name: p').message).toContain('steps: expected a list of');
      expect(refused('name: p\nsteps: []').message).toContain('steps: expected at least 1 item(s), got []');
      expect(refused('name: p\nsteps: [{run: x}]').message).toContain('steps[0].id: expected a step id');
    });

    it('too many steps', () => {
      const steps = Array.from({ length: 101 }, (_, i) => `  - {id: s${i}, run: x}`).join('\n');
      expect(refused(`name: p\nsteps:\n${steps}`).message).toContain('steps: expected at most 100 items, got 101');
    });

    it('lists the other problems after the first, in file order', () => {
      const err = refused(variant('retries: 2', 'retries: 99').replace('uses: train', 'uses: nope'));
      expect(err.message).toContain('steps[0].retries: expected integer <= 20, got 99 (line 13) (and 1 more: steps[1].uses');
      const problems = err.details!['problems'] as Array<{ field: string; line: number }>;
      expect(problems.map((p) => p.field)).toEqual(['steps[0].retries', 'steps[1].uses']);
      expect(problems[1]!.line).toBe(18);
      expect(err.details!['field']).toBe('steps[0].retries');
    });
  });

  describe('refuses what the schema cannot express', () => {
    it('run and uses together, or neither', () => {
      expect(refused(variant('    uses: train', '    uses: train\n    run: echo')).message).toContain("steps[1]: step 'train' has both run and uses; expected exactly one");
      expect(refused('name: p\nsteps: [{id: a}]').message).toContain("steps[0]: step 'a' has neither run nor uses");
    });

    it('with on a run step', () => {
      expect(refused(variant('    env: {K: v}', '    env: {K: v}\n    with: {a: 1}')).message).toContain('steps[0].with: with is only for uses steps');
    });

    it('duplicate ids', () => {
      expect(refused(variant('- id: train', '- id: prepare')).message).toContain("steps[1].id: duplicate step id 'prepare' (also steps[0])");
    });

    it('needs on an unknown step, naming the step and the id', () => {
      const err = refused(variant('needs: [prepare]', 'needs: [prepare, prep]'));
      expect(err.message).toContain("steps[1].needs: step 'train' needs 'prep', which is not a step in this pipeline (steps: prepare, train)");
    });

    it('cycles, listing the cycle', () => {
      const text = `name: p
steps:
  - {id: a, run: x, needs: c}
  - {id: b, run: x, needs: a}
  - {id: c, run: x, needs: b}
  - {id: d, run: x, needs: d}
`;
      const err = refused(text);
      expect(err.message).toContain('steps[0].needs: needs form a cycle: a needs c, c needs b, b needs a');
      expect(refused('name: p\nsteps: [{id: d, run: x, needs: d}]').message).toContain('needs form a cycle: d needs d');
    });

    it('bad durations', () => {
      expect(refused(variant('timeout: 10m', 'timeout: 10 minutes')).message).toContain(
        'steps[0].timeout: expected a duration such as 500ms, 5s, 10m, 2h, 1d or 1h30m (at most 7d), got "10 minutes"',
      );
      expect(refused(variant('timeout: 10m', 'timeout: 8d')).message).toContain('longer than 7 days');
      expect(refused(variant('timeout: 10m', 'timeout: 0s')).message).toContain('steps[0].timeout: expected a duration longer than 0, got "0s"');
      expect(refused(variant('retry_delay: 5s', 'retry_delay: -5s')).message).toContain('steps[0].retry_delay: expected a duration such as 500ms');
      expect(refused(variant('retry_delay: 5s', 'retry_delay: -5')).message).toContain('steps[0].retry_delay: expected a duration such as 30s');
    });

    it('an invalid cron schedule', () => {
      for (const bad of ['61 * * * *', 'every day', '* * *']) {
        const err = refused(variant('"0 3 * * *"', JSON.stringify(bad)));
        expect(err.message).toContain(`schedule: expected a cron expression such as "0 3 * * *", got ${JSON.stringify(bad)}`);
      }
    });

    it('expression syntax errors, with the step id and field', () => {
      const err = refused(variant('params.auto"', 'params.auto &&"'));
      expect(err.message).toContain("steps[1].if: in step 'train', invalid expression");
      expect(err.message).toContain('unexpected end of expression');
      expect(refused(variant('"${{ params.model }}"', '"${{ params.model == }}"')).message).toContain("steps[0].run: in step 'prepare', invalid expression");
      expect(refused(variant('{K: v}', '{K: "${{ params.model"}')).message).toContain("steps[0].env.K: in step 'prepare', invalid expression");
      expect(refused(variant('label: diagnosis', 'label: "${{ (a }}"')).message).toContain("steps[1].with.label: in step 'train', invalid expression");
    });

    it('undeclared params', () => {
      expect(refused(variant('params.auto"', 'params.nope"')).message).toContain(
        "steps[1].if: in step 'train', expression refers to params.nope, but params declares no 'nope' (declared: model, min_improvement, auto)",
      );
      expect(refused(variant('{K: v}', '{K: "${{ params }}"}')).message).toContain('refers to params as a whole');
    });

    it('steps that are not upstream', () => {
      const text = `name: p
steps:
  - {id: a, run: x}
  - {id: b, run: "echo \${{ steps.a.outputs.x }}"}
`;
      expect(refused(text).message).toContain("steps[1].run: in step 'b', expression refers to step 'a', which is not upstream of 'b' (it may not have run yet); add 'a' to its needs");
      expect(refused(variant('{K: v}', '{K: "${{ steps.train.outputs.x }}"}')).message).toContain("refers to step 'train', which is not upstream of 'prepare'");
      expect(refused(variant('{K: v}', '{K: "${{ steps.prepare.state }}"}')).message).toContain("refers to step 'prepare' itself");
      expect(refused(variant('{K: v}', '{K: "${{ steps.ghost.state }}"}')).message).toContain("refers to step 'ghost', which is not a step");
      expect(refused(variant('{A: "b"}', '{A: "${{ steps.prepare.state }}"}')).message).toContain('env.A: expression refers to steps.prepare.state, but pipeline-level settings cannot read step results');
    });

    it('reads through indirect needs', () => {
      const text = `name: p
steps:
  - {id: a, run: x}
  - {id: b, run: x, needs: a}
  - {id: c, run: "echo \${{ steps.a.outputs.x }}", needs: b}
`;
      expect(parsePipeline(text).steps[2]!.needs).toEqual(['b']);
    });

    it('malformed references', () => {
      const ref = (expr: string) => refused(variant('{K: v}', `{K: "\${{ ${expr} }}"}`)).message;
      expect(ref('steps.prepare')).toContain('expected steps.<id>.outputs.<name> or steps.<id>.state');
      expect(ref('steps.prepare.result')).toContain('expected steps.<id>.outputs.<name> or steps.<id>.state');
      expect(ref('run.idx')).toContain('expected run.id or run.attempt');
      expect(ref('env')).toContain('expected env.<NAME>');
      expect(ref('secrets.token')).toContain("refers to unknown name 'secrets' (secrets.token); expressions can read params.<name>");
    });
  });

  describe('YAML and size', () => {
    it('reports YAML syntax errors with line and column', () => {
      const err = refused('name: p\nsteps: [1, 2\n', 'bad.yaml');
      expect(err.code).toBe('invalid_input');
      expect(err.message).toMatch(/^pipeline file bad\.yaml is not valid YAML at line \d+, column \d+: /);
      expect(err.details).toMatchObject({ source: 'bad.yaml' });
      expect(refused('name: p\nname: q\nsteps: []').message).toContain('line 2, column 1');
    });

    it('refuses documents that are not a mapping', () => {
      expect(refused('').message).toContain('(top level): expected a mapping with name and steps, got nothing');
      expect(refused('- a').message).toContain('got ["a"]');
      expect(refused('just text').message).toContain('got "just text"');
    });

    it('refuses files over 1 MB', () => {
      const big = `${EXAMPLE}# ${'x'.repeat(1024 * 1024)}\n`;
      expect(refused(big, 'big.yaml').message).toMatch(/^pipeline file big\.yaml is \d+ bytes; the limit is 1048576/);
    });

    it('refuses alias bombs', () => {
      const bomb = ['name: p', 'a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', 'steps: []'].join('\n');
      expect(refused(bomb).code).toBe('invalid_input');
    });
  });
});

describe('retryDelayMs', () => {
  const step = (retry_delay: string | number, retry_backoff: number): StepSpec => ({ id: 's', run: 'x', needs: [], retries: 5, retry_delay, retry_backoff });

  it('multiplies the delay by backoff^(retry-1)', () => {
    expect([1, 2, 3, 4].map((k) => retryDelayMs(step('5s', 2), k))).toEqual([5000, 10_000, 20_000, 40_000]);
    expect([1, 2, 3].map((k) => retryDelayMs(step(1, 1), k))).toEqual([1000, 1000, 1000]);
    expect(retryDelayMs(step('500ms', 1.5), 3)).toBe(1125);
  });

  it('caps at one hour', () => {
    expect(retryDelayMs(step('10m', 2), 5)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(step('1s', 1e6), 20)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(step('0s', 1e300), 20)).toBe(0);
  });

  it('uses the defaults for specs stored without them', () => {
    expect(retryDelayMs({ id: 's' } as StepSpec, 2)).toBe(2000);
  });
});
