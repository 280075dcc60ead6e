import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { storeTargets } from '../helpers/targets.js';

/** Requests shaped like MLflow's REST reference (and its Python client's RestStore). */
interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

describe.each(storeTargets())('MLflow tracking REST API on $engine', (target) => {
  let t: TestServer;
  const api = async <T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, payload?: Record<string, unknown>): Promise<Reply<T>> => {
    let url = `${t.url}/api/2.0/mlflow/${path}`;
    const init: RequestInit = { method };
    if (method === 'GET' && payload) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(payload)) for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
      url += `?${q.toString()}`;
    } else if (payload) {
      init.body = JSON.stringify(payload);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await fetch(url, init);
    return { status: res.status, body: (await res.json()) as T };
  };
  const ok = async <T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, payload?: Record<string, unknown>): Promise<T> => {
    const r = await api<T>(method, path, payload);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const refused = async (method: 'GET' | 'POST', path: string, payload: Record<string, unknown>, status: number, code: string, fragment?: string) => {
    const r = await api<{ error_code: string; message: string }>(method, path, payload);
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body.error_code).toBe(code);
    if (fragment) expect(r.body.message).toContain(fragment);
  };

  beforeAll(async () => {
    t = await startTestServer(target);
  });
  afterAll(async () => {
    await t?.stop();
  });

  let experimentId = '';
  let runId = '';

  it('creates, reads, renames, tags, searches, deletes and restores experiments', async () => {
    experimentId = (await ok<{ experiment_id: string }>('POST', 'experiments/create', { name: 'churn', tags: [{ key: 'team', value: 'ml' }] })).experiment_id;
    expect(experimentId).toMatch(/^\d+$/);
    await refused('POST', 'experiments/create', { name: 'churn' }, 400, 'RESOURCE_ALREADY_EXISTS', "'churn' already exists");
    await refused('POST', 'experiments/create', { name: '' }, 400, 'INVALID_PARAMETER_VALUE');
    await refused('POST', 'experiments/create', { name: 'x'.repeat(501) }, 400, 'INVALID_PARAMETER_VALUE', 'limit is 500');
    const got = await ok<{ experiment: { name: string; lifecycle_stage: string; tags: unknown[]; artifact_location: string } }>('GET', 'experiments/get', { experiment_id: experimentId });
    expect(got.experiment).toMatchObject({ name: 'churn', lifecycle_stage: 'active', tags: [{ key: 'team', value: 'ml' }], artifact_location: `mlflow-artifacts:/${experimentId}` });
    expect((await ok<{ experiment: { experiment_id: string } }>('GET', 'experiments/get-by-name', { experiment_name: 'churn' })).experiment.experiment_id).toBe(experimentId);
    await refused('GET', 'experiments/get', { experiment_id: '999999' }, 404, 'RESOURCE_DOES_NOT_EXIST');
    await refused('GET', 'experiments/get-by-name', { experiment_name: 'nope' }, 404, 'RESOURCE_DOES_NOT_EXIST');
    const other = (await ok<{ experiment_id: string }>('POST', 'experiments/create', { name: 'scratch' })).experiment_id;
    await ok('POST', 'experiments/update', { experiment_id: other, new_name: 'scratch-2' });
    await ok('POST', 'experiments/set-experiment-tag', { experiment_id: other, key: 'note', value: 'tmp' });
    await ok('POST', 'experiments/delete', { experiment_id: other });
    const active = await ok<{ experiments: Array<{ name: string }> }>('POST', 'experiments/search', { max_results: 100 });
    expect(active.experiments.map((e) => e.name)).toContain('churn');
    expect(active.experiments.map((e) => e.name)).not.toContain('scratch-2');
    const deleted = await ok<{ experiments: Array<{ name: string; tags: unknown[] }> }>('GET', 'experiments/search', { view_type: 'DELETED_ONLY' });
    expect(deleted.experiments).toMatchObject([{ name: 'scratch-2', tags: [{ key: 'note', value: 'tmp' }] }]);
    await ok('POST', 'experiments/restore', { experiment_id: other });
    const page1 = await ok<{ experiments: unknown[]; next_page_token?: string }>('POST', 'experiments/search', { max_results: 1 });
    expect(page1.experiments).toHaveLength(1);
    const page2 = await ok<{ experiments: Array<{ name: string }> }>('POST', 'experiments/search', { max_results: 1, page_token: page1.next_page_token });
    expect(page2.experiments).toHaveLength(1);
  });

  it('creates a run and logs params (write-once), tags, metrics (incl. NaN/Inf) and batches', async () => {
    const created = await ok<{ run: { info: { run_id: string; status: string; experiment_id: string; run_name: string; artifact_uri: string } } }>('POST', 'runs/create', {
      experiment_id: experimentId,
      run_name: 'baseline',
      start_time: 1_700_000_000_000,
      tags: [{ key: 'group', value: 'seeds' }],
    });
    runId = created.run.info.run_id;
    expect(created.run.info).toMatchObject({ status: 'RUNNING', experiment_id: experimentId, run_name: 'baseline', artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts` });
    await ok('POST', 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' });
    await ok('POST', 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' }); // same value again is fine
    await refused('POST', 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.02' }, 400, 'INVALID_PARAMETER_VALUE', 'Changing param values is not allowed');
    await refused('POST', 'runs/log-parameter', { run_id: runId, key: 'bad key!', value: '1' }, 400, 'INVALID_PARAMETER_VALUE', 'names may only contain');
    await refused('POST', 'runs/log-parameter', { run_id: runId, key: 'big', value: 'x'.repeat(6001) }, 400, 'INVALID_PARAMETER_VALUE', 'limit is 6000');
    await ok('POST', 'runs/set-tag', { run_id: runId, key: 'stage', value: 'dev' });
    await ok('POST', 'runs/set-tag', { run_id: runId, key: 'stage', value: 'prod' });
    await ok('POST', 'runs/delete-tag', { run_id: runId, key: 'group' });
    await refused('POST', 'runs/delete-tag', { run_id: runId, key: 'group' }, 404, 'RESOURCE_DOES_NOT_EXIST');
    for (let step = 0; step < 5; step++) await ok('POST', 'runs/log-metric', { run_id: runId, key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step });
    await ok('POST', 'runs/log-metric', { run_id: runId, key: 'odd', value: 'NaN', timestamp: 1, step: 0 });
    await ok('POST', 'runs/log-metric', { run_id: runId, key: 'odd', value: 'Infinity', timestamp: 2, step: 1 });
    await refused('POST', 'runs/log-metric', { run_id: runId, key: 'loss', value: 'high', timestamp: 1 }, 400, 'INVALID_PARAMETER_VALUE', 'must be a number');
    await refused('POST', 'runs/log-metric', { run_id: runId, key: 'loss', value: 1 }, 400, 'INVALID_PARAMETER_VALUE', 'timestamp is required');
    const batch = {
      run_id: runId,
      metrics: Array.from({ length: 100 }, (_, i) => ({ key: 'acc', value: i / 100, timestamp: 1_700_000_100_000 + i, step: i })),
      params: [{ key: 'depth', value: '6' }, { key: 'lr', value: '0.01' }],
      tags: [{ key: 'mlflow.note.content', value: 'batch' }],
    };
    await ok('POST', 'runs/log-batch', batch);
    await refused('POST', 'runs/log-batch', { run_id: runId, metrics: Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: 1, timestamp: i })) }, 400, 'INVALID_PARAMETER_VALUE', 'at most 1000 metrics');
    await refused('POST', 'runs/log-batch', { run_id: runId, params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: '1' })) }, 400, 'INVALID_PARAMETER_VALUE', 'at most 100 params');
    await refused('POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'depth', value: '7' }], metrics: [{ key: 'never', value: 1, timestamp: 1 }] }, 400, 'INVALID_PARAMETER_VALUE', 'Changing param values');
    await ok('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: 1_700_000_200_000 });

    const run = (await ok<{ run: { info: Record<string, unknown>; data: { metrics: Array<{ key: string; value: unknown; step: number }>; params: unknown[]; tags: Array<{ key: string; value: string }> } } }>('GET', 'runs/get', { run_id: runId })).run;
    expect(run.info).toMatchObject({ status: 'FINISHED', end_time: 1_700_000_200_000, lifecycle_stage: 'active' });
    expect(run.data.metrics).toEqual([
      { key: 'acc', value: 0.99, timestamp: 1_700_000_100_099, step: 99 },
      { key: 'loss', value: 0.2, timestamp: 1_700_000_000_004, step: 4 },
      { key: 'odd', value: 'Infinity', timestamp: 2, step: 1 },
    ]);
    expect(run.data.params).toEqual([{ key: 'depth', value: '6' }, { key: 'lr', value: '0.01' }]);
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'stage', value: 'prod' }, { key: 'mlflow.runName', value: 'baseline' }, { key: 'mlflow.note.content', value: 'batch' }]));
    expect(run.data.tags.map((x) => x.key)).not.toContain('group');
    // the refused batch wrote nothing
    expect(run.data.metrics.map((m) => m.key)).not.toContain('never');
  });

  it('pages metric history in (step, timestamp) order', async () => {
    const first = await ok<{ metrics: Array<{ step: number; value: unknown }>; next_page_token?: string }>('GET', 'metrics/get-history', { run_id: runId, metric_key: 'acc', max_results: 40 });
    expect(first.metrics.map((m) => m.step)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const second = await ok<{ metrics: Array<{ step: number }>; next_page_token?: string }>('GET', 'metrics/get-history', { run_id: runId, metric_key: 'acc', max_results: 40, page_token: first.next_page_token });
    const third = await ok<{ metrics: Array<{ step: number }>; next_page_token?: string }>('GET', 'metrics/get-history', { run_id: runId, metric_key: 'acc', max_results: 40, page_token: second.next_page_token });
    expect([...second.metrics, ...third.metrics].map((m) => m.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 40));
    expect(third.next_page_token).toBeUndefined();
    const odd = await ok<{ metrics: Array<{ value: unknown }> }>('GET', 'metrics/get-history', { run_id: runId, metric_key: 'odd' });
    expect(odd.metrics.map((m) => m.value)).toEqual(['NaN', 'Infinity']);
    await refused('GET', 'metrics/get-history', { run_id: 'f'.repeat(32), metric_key: 'acc' }, 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('searches runs with the filter grammar, order_by and page tokens', async () => {
    for (let i = 0; i < 6; i++) {
      const r = (await ok<{ run: { info: { run_id: string } } }>('POST', 'runs/create', { experiment_id: experimentId, run_name: `sweep-${i}`, start_time: 1_700_000_300_000 + i })).run.info.run_id;
      await ok('POST', 'runs/log-batch', {
        run_id: r,
        metrics: [{ key: 'rmse', value: 1 - i * 0.1, timestamp: 1, step: 0 }],
        params: [{ key: 'lr', value: i % 2 === 0 ? '0.01' : '0.1' }],
        tags: [{ key: 'kind', value: i < 3 ? 'cheap-model' : 'big-model' }],
      });
      if (i === 5) await ok('POST', 'runs/update', { run_id: r, status: 'FINISHED' });
    }
    type Runs = { runs: Array<{ info: { run_name: string } }>; next_page_token?: string };
    const names = (r: Runs) => r.runs.map((x) => x.info.run_name);
    const search = (body: Record<string, unknown>) => ok<Runs>('POST', 'runs/search', { experiment_ids: [experimentId], ...body });
    expect(names(await search({ filter: "metrics.rmse < 0.75 and params.lr = '0.01'", order_by: ['metrics.rmse ASC'] }))).toEqual(['sweep-4']);
    expect(names(await search({ filter: "tags.kind LIKE 'big-%'", order_by: ['metrics.rmse DESC'] }))).toEqual(['sweep-3', 'sweep-4', 'sweep-5']);
    expect(names(await search({ filter: "attributes.status = 'FINISHED' and attributes.run_name ILIKE 'SWEEP%'" }))).toEqual(['sweep-5']);
    expect(names(await search({ filter: 'metrics.rmse >= 0.8', order_by: ['attributes.run_name ASC'] }))).toEqual(['sweep-0', 'sweep-1', 'sweep-2']);
    // default order: start_time DESC
    expect(names(await search({ filter: "tags.kind = 'cheap-model'" }))).toEqual(['sweep-2', 'sweep-1', 'sweep-0']);
    // runs without the metric sort last, whatever the direction
    const all = names(await search({ order_by: ['metrics.rmse ASC'] }));
    expect(all.slice(0, 6)).toEqual(['sweep-5', 'sweep-4', 'sweep-3', 'sweep-2', 'sweep-1', 'sweep-0']);
    expect(all[6]).toBe('baseline');
    // keyset pages cover everything exactly once
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page: Runs = await search({ order_by: ['metrics.rmse DESC'], max_results: 2, ...(token ? { page_token: token } : {}) });
      seen.push(...names(page));
      token = page.next_page_token;
    } while (token);
    expect(seen).toEqual(['sweep-0', 'sweep-1', 'sweep-2', 'sweep-3', 'sweep-4', 'sweep-5', 'baseline']);
    await refused('POST', 'runs/search', { experiment_ids: [experimentId], filter: "metrics.rmse < 1 or params.lr = '0.1'" }, 400, 'INVALID_PARAMETER_VALUE', 'OR');
    await refused('POST', 'runs/search', { experiment_ids: [experimentId], filter: "metrics.rmse < 'a'" }, 400, 'INVALID_PARAMETER_VALUE');
    await refused('POST', 'runs/search', { experiment_ids: [experimentId], max_results: 50001 }, 400, 'INVALID_PARAMETER_VALUE');
  });

  it('deletes and restores runs; a deleted run takes no more data', async () => {
    await ok('POST', 'runs/delete', { run_id: runId });
    await refused('POST', 'runs/log-metric', { run_id: runId, key: 'x', value: 1, timestamp: 1 }, 400, 'INVALID_PARAMETER_VALUE', "'active' state");
    const deleted = await ok<{ runs: Array<{ info: { run_id: string } }> }>('POST', 'runs/search', { experiment_ids: [experimentId], run_view_type: 'DELETED_ONLY' });
    expect(deleted.runs.map((r) => r.info.run_id)).toEqual([runId]);
    await ok('POST', 'runs/restore', { run_id: runId });
    await ok('POST', 'runs/log-metric', { run_id: runId, key: 'x', value: 1, timestamp: 1 });
    await refused('GET', 'runs/get', { run_id: 'nope' }, 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('keeps the latest value per key by (step, timestamp, value), NaN losing ties, within and across batches', async () => {
    const exp = (await ok<{ experiment_id: string }>('POST', 'experiments/create', { name: 'latest-values' })).experiment_id;
    const run = (await ok<{ run: { info: { run_id: string } } }>('POST', 'runs/create', { experiment_id: exp })).run.info.run_id;
    const latest = async () => (await ok<{ run: { data: { metrics: Array<{ key: string; value: unknown; timestamp: number; step: number }> } } }>('GET', 'runs/get', { run_id: run })).run.data.metrics;
    const T = 1_700_000_000_000; // timestamps beyond 32 bits
    await ok('POST', 'runs/log-batch', {
      run_id: run,
      metrics: [
        { key: 'a', value: 1, timestamp: T, step: 5 },
        { key: 'a', value: 9, timestamp: T, step: 4 }, // lower step loses whatever its value
        { key: 'a', value: 'NaN', timestamp: T, step: 5 }, // NaN loses a tie
        { key: 'b', value: 'NaN', timestamp: T, step: 1 },
        { key: 'b', value: 2, timestamp: T - 1, step: 1 }, // earlier timestamp loses
        { key: 'c', value: 3, timestamp: T, step: '7' }, // steps and timestamps may be strings of digits
        { key: 'c', value: '-Infinity', timestamp: `${T + 1}`, step: 7 },
      ],
    });
    expect(await latest()).toEqual([
      { key: 'a', value: 1, timestamp: T, step: 5 },
      { key: 'b', value: 'NaN', timestamp: T, step: 1 },
      { key: 'c', value: '-Infinity', timestamp: T + 1, step: 7 },
    ]);
    await ok('POST', 'runs/log-batch', {
      run_id: run,
      metrics: [
        { key: 'a', value: 0.5, timestamp: T, step: 5 }, // smaller value at the same (step, timestamp): stays 1
        { key: 'a', value: 'NaN', timestamp: T + 5, step: 4 }, // lower step: stays
        { key: 'b', value: -1, timestamp: T, step: 1 }, // a number beats the stored NaN at the same (step, timestamp)
        { key: 'c', value: 'Infinity', timestamp: T + 1, step: 7 }, // larger value at the same (step, timestamp)
        { key: 'd', value: 4, timestamp: 1 }, // step defaults to 0
      ],
    });
    expect(await latest()).toEqual([
      { key: 'a', value: 1, timestamp: T, step: 5 },
      { key: 'b', value: -1, timestamp: T, step: 1 },
      { key: 'c', value: 'Infinity', timestamp: T + 1, step: 7 },
      { key: 'd', value: 4, timestamp: 1, step: 0 },
    ]);
    await ok('POST', 'runs/log-metric', { run_id: run, key: 'b', value: 'NaN', timestamp: T, step: 1 }); // NaN does not replace a number at a tie
    await ok('POST', 'runs/log-metric', { run_id: run, key: 'a', value: 'NaN', timestamp: T, step: 6 }); // but wins at a higher step
    expect((await latest()).slice(0, 2)).toEqual([
      { key: 'a', value: 'NaN', timestamp: T, step: 6 },
      { key: 'b', value: -1, timestamp: T, step: 1 },
    ]);
    // every point is in the history, in (step, timestamp) order
    const history = await ok<{ metrics: Array<{ value: unknown; step: number }> }>('GET', 'metrics/get-history', { run_id: run, metric_key: 'a' });
    expect(history.metrics.map((m) => [m.step, m.value])).toEqual([[4, 9], [4, 'NaN'], [5, 1], [5, 'NaN'], [5, 0.5], [6, 'NaN']]);
  });

  it('agrees with a reference model of the latest value for random batches', async () => {
    const exp = (await ok<{ experiment_id: string }>('POST', 'experiments/create', { name: 'latest-model' })).experiment_id;
    const value = fc.constantFrom<number | string>(-1, 0, 0.5, 1, 'NaN', 'Infinity', '-Infinity');
    const point = fc.record({ key: fc.constantFrom('x', 'y'), value, timestamp: fc.integer({ min: 0, max: 1 }), step: fc.integer({ min: 0, max: 1 }) }); // small ranges: many ties
    // (step, timestamp, value) with NaN below every number: MLflow's order for the latest value
    const rank = (p: { value: number | string; timestamp: number; step: number }) => [p.step, p.timestamp, p.value === 'NaN' ? 0 : 1, p.value === 'NaN' ? 0 : Number(p.value)];
    const greater = (a: number[], b: number[]) => {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
      return false;
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(point, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), async (batches) => {
        const run = (await ok<{ run: { info: { run_id: string } } }>('POST', 'runs/create', { experiment_id: exp })).run.info.run_id;
        for (const metrics of batches) await ok('POST', 'runs/log-batch', { run_id: run, metrics });
        const expected = new Map<string, { key: string; value: number | string; timestamp: number; step: number }>();
        for (const p of batches.flat()) {
          const current = expected.get(p.key);
          if (!current || greater(rank(p), rank(current))) expected.set(p.key, p);
        }
        const got = (await ok<{ run: { data: { metrics: unknown[] } } }>('GET', 'runs/get', { run_id: run })).run.data.metrics;
        expect(got).toEqual([...expected.values()].sort((a, b) => a.key.localeCompare(b.key)));
      }),
      { numRuns: 100 },
    );
  });

  it('checks every metric of a batch, and a refused batch writes nothing', async () => {
    const exp = (await ok<{ experiment_id: string }>('POST', 'experiments/create', { name: 'batch-checks' })).experiment_id;
    const run = (await ok<{ run: { info: { run_id: string } } }>('POST', 'runs/create', { experiment_id: exp })).run.info.run_id;
    const good = Array.from({ length: 10 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i }));
    const refusedWith = (bad: Record<string, unknown>, fragment: string) => refused('POST', 'runs/log-batch', { run_id: run, metrics: [...good, bad, ...good] }, 400, 'INVALID_PARAMETER_VALUE', fragment);
    await refusedWith({ key: 'bad key!', value: 1, timestamp: 1 }, 'names may only contain');
    await refusedWith({ key: 5, value: 1, timestamp: 1 }, 'metric key must be a non-empty string');
    await refusedWith({ key: 'm/../x', value: 1, timestamp: 1 }, "invalid metric key 'm/../x'");
    await refusedWith({ key: 'k'.repeat(251), value: 1, timestamp: 1 }, 'the limit is 250');
    await refusedWith({ key: 'm', value: 'high', timestamp: 1 }, "metric 'm': value must be a number");
    await refusedWith({ key: 'm', value: 1 }, "metric 'm' timestamp is required");
    await refusedWith({ key: 'm', value: 1, timestamp: 1.5 }, "metric 'm' timestamp must be an integer (milliseconds), got 1.5");
    await refusedWith({ key: 'm', value: 1, timestamp: '12a' }, "metric 'm' timestamp must be an integer");
    await refusedWith({ key: 'm', value: 1, timestamp: 1, step: 2 ** 53 }, "metric 'm' step must be an integer");
    await refusedWith({ key: 'm', value: 1, timestamp: 1, step: '1.0' }, "metric 'm' step must be an integer");
    await refused('POST', 'runs/log-batch', { run_id: run, metrics: [...good, null] }, 400, 'INVALID_PARAMETER_VALUE', 'each metric must be an object');
    await refused('POST', 'runs/log-batch', { run_id: run, metrics: { key: 'm' } }, 400, 'INVALID_PARAMETER_VALUE', 'metrics must be a list');
    await refused('POST', 'runs/log-batch', { run_id: 'f'.repeat(32), metrics: good }, 404, 'RESOURCE_DOES_NOT_EXIST');
    const data = (await ok<{ run: { data: { metrics: unknown[] } } }>('GET', 'runs/get', { run_id: run })).run.data;
    expect(data.metrics).toEqual([]);
    expect((await ok<{ metrics: unknown[] }>('GET', 'metrics/get-history', { run_id: run, metric_key: 'm' })).metrics).toEqual([]);
  });

  it('stores and serves run artifacts through the mlflow-artifacts proxy', async () => {
    const base = `${t.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts`;
    const put = (path: string, body: string, type = 'application/octet-stream') => fetch(`${base}/${path}`, { method: 'PUT', body, headers: { 'content-type': type } });
    expect((await put('model/MLmodel', 'flavors: {}')).status).toBe(200);
    expect((await put('metrics.json', '{"acc": 0.9}', 'application/json')).status).toBe(200);
    expect(await (await fetch(`${base}/metrics.json`)).text()).toBe('{"acc": 0.9}');
    const listed = await ok<{ root_uri: string; files: Array<{ path: string; is_dir: boolean; file_size?: number }> }>('GET', 'artifacts/list', { run_id: runId });
    expect(listed.files).toEqual([{ path: 'metrics.json', is_dir: false, file_size: 12 }, { path: 'model', is_dir: true }]);
    const inner = await ok<{ files: Array<{ path: string }> }>('GET', 'artifacts/list', { run_id: runId, path: 'model' });
    expect(inner.files).toEqual([{ path: 'model/MLmodel', is_dir: false, file_size: 11 }]);
    const proxied = (await (await fetch(`${t.url}/api/2.0/mlflow-artifacts/artifacts?path=${experimentId}/${runId}/artifacts/model`)).json()) as { files: unknown[] };
    expect(proxied.files).toEqual([{ path: 'MLmodel', is_dir: false, file_size: 11 }]);
    expect((await put('../escape', 'x')).status).toBe(400);
    expect((await fetch(`${base}/missing.txt`)).status).toBe(404);
  });
});
