import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { BerthError, describeValue } from '../errors/index.js';
import type { Database, RunsTable } from '../store/index.js';
import { parseOrderBy, parseSearchFilter, type Comparison, type OrderBy } from './search-filter.js';
import { decodeToken, encodeToken } from './tracking-store.js';
import type { ViewType } from './types.js';

export interface RunSearch {
  experimentIds: number[];
  filter?: string | undefined;
  orderBy?: string[] | undefined;
  view: ViewType;
  maxResults: number;
  pageToken?: string | undefined;
}

const ATTRIBUTE_COLUMNS: Record<string, string> = {
  status: 'status',
  run_name: 'run_name',
  run_id: 'run_uuid',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  lifecycle_stage: 'lifecycle_stage',
  start_time: 'start_time',
  end_time: 'end_time',
  created: 'start_time',
};

function column(name: string): RawBuilder<unknown> {
  const col = ATTRIBUTE_COLUMNS[name];
  if (!col) throw new BerthError('invalid_input', `unknown run attribute '${name}'`);
  return sql.ref(`runs.${col}`);
}

function compare(left: RawBuilder<unknown>, comparator: Comparison['comparator'], value: Comparison['value']): RawBuilder<SqlBool> {
  switch (comparator) {
    case 'LIKE':
      return sql<SqlBool>`${left} like ${value}`;
    case 'ILIKE':
      return sql<SqlBool>`lower(${left}) like lower(${value})`;
    case 'IN':
    case 'NOT IN': {
      const list = value as string[];
      if (list.length === 0) return comparator === 'IN' ? sql<SqlBool>`1 = 0` : sql<SqlBool>`1 = 1`;
      const items = sql.join(list.map((v) => sql`${v}`));
      return comparator === 'IN' ? sql<SqlBool>`${left} in (${items})` : sql<SqlBool>`${left} not in (${items})`;
    }
    default:
      return sql<SqlBool>`${left} ${sql.raw(comparator)} ${value}`;
  }
}

/** One non-metric filter clause as a SQL condition on `runs` (metric clauses are joins, see searchRuns). */
function condition(c: Comparison & { type: Exclude<Comparison['type'], 'metric'> }): RawBuilder<SqlBool> {
  switch (c.type) {
    case 'attribute':
      return compare(column(c.key), c.comparator, c.value);
    case 'param':
      return sql<SqlBool>`exists (select 1 from run_params p where p.run_uuid = runs.run_uuid and p.key = ${c.key} and ${compare(sql.ref('p.value'), c.comparator, c.value)})`;
    case 'tag':
      return sql<SqlBool>`exists (select 1 from run_tags t where t.run_uuid = runs.run_uuid and t.key = ${c.key} and ${compare(sql.ref('t.value'), c.comparator, c.value)})`;
    case 'dataset': {
      const col = c.key === 'context' ? sql.ref('ri.tags') : sql.ref(`d.${c.key}`);
      return sql<SqlBool>`exists (select 1 from run_inputs ri join tracking_datasets d on d.dataset_uuid = ri.dataset_uuid where ri.run_uuid = runs.run_uuid and ${compare(col, c.comparator, c.value)})`;
    }
  }
}

/** The value a run sorts by for one non-metric order_by clause (null when the run lacks the param/tag). */
function sortValue(o: OrderBy & { type: Exclude<OrderBy['type'], 'metric'> }): RawBuilder<unknown> {
  switch (o.type) {
    case 'attribute':
      return column(o.key);
    case 'param':
      return sql`(select p.value from run_params p where p.run_uuid = runs.run_uuid and p.key = ${o.key})`;
    case 'tag':
      return sql`(select t.value from run_tags t where t.run_uuid = runs.run_uuid and t.key = ${o.key})`;
    case 'dataset':
      throw new BerthError('invalid_input', 'ordering by datasets is not supported');
  }
}

interface SortKey {
  expr: RawBuilder<unknown>;
  ascending: boolean;
  /** False when every row has a value (then the "missing sorts last" term is left out, so an index can order). */
  nullable: boolean;
}

/**
 * Keyset condition "comes after `last`" for the ordering: each key sorts runs lacking a value last, then by
 * value in its direction; run_uuid breaks ties. Built as the usual lexicographic OR-chain.
 */
function after(keys: SortKey[], last: unknown[]): Expression<SqlBool> {
  const alternatives: Array<RawBuilder<SqlBool>> = [];
  const equalSoFar: Array<RawBuilder<SqlBool>> = [];
  keys.forEach((key, i) => {
    const v = last[i];
    const prefix = equalSoFar.length > 0 ? sql<SqlBool>`${sql.join(equalSoFar, sql` and `)} and ` : sql``;
    if (v === null || v === undefined) {
      // Everything after a null is also null for this key: only later keys can decide.
      equalSoFar.push(sql<SqlBool>`${key.expr} is null`);
      return;
    }
    const strictly = key.ascending ? sql<SqlBool>`${key.expr} > ${v}` : sql<SqlBool>`${key.expr} < ${v}`;
    alternatives.push(sql<SqlBool>`(${prefix}(${key.expr} is null or ${strictly}))`);
    equalSoFar.push(sql<SqlBool>`${key.expr} = ${v}`);
  });
  return alternatives.length === 0 ? sql<SqlBool>`1 = 0` : sql<SqlBool>`(${sql.join(alternatives, sql` or `)})`;
}

/** runs/search: MLflow's filter grammar and order_by, keyset page tokens, default order start_time DESC. */
export async function searchRuns(db: Kysely<Database>, search: RunSearch): Promise<{ rows: RunsTable[]; nextPageToken?: string }> {
  const filters = parseSearchFilter(search.filter);
  const order = parseOrderBy(search.orderBy);
  let q = db.selectFrom('runs').selectAll('runs');
  // Metric filters become joins on latest_metrics (its (key, value) index drives the search); metric
  // ordering reuses the filter's join for the same key, else a left join (runs without it sort last).
  const metricJoins = new Map<string, string>();
  filters.forEach((f, i) => {
    if (f.type !== 'metric') return;
    const alias = `mf${i}`;
    q = q.innerJoin(sql<Database['latest_metrics']>`latest_metrics`.as(alias), (join) =>
      join.on(sql<SqlBool>`${sql.ref(`${alias}.run_uuid`)} = runs.run_uuid and ${sql.ref(`${alias}.key`)} = ${f.key} and ${sql.ref(`${alias}.is_nan`)} = ${0} and ${compare(sql.ref(`${alias}.value`), f.comparator, f.value)}`),
    ) as typeof q;
    if (!metricJoins.has(f.key)) metricJoins.set(f.key, alias);
  });
  order.forEach((o, i) => {
    if (o.type !== 'metric' || metricJoins.has(o.key)) return;
    const alias = `mo${i}`;
    q = q.leftJoin(sql<Database['latest_metrics']>`latest_metrics`.as(alias), (join) =>
      join.on(sql<SqlBool>`${sql.ref(`${alias}.run_uuid`)} = runs.run_uuid and ${sql.ref(`${alias}.key`)} = ${o.key} and ${sql.ref(`${alias}.is_nan`)} = ${0}`),
    ) as typeof q;
    metricJoins.set(o.key, alias);
  });
  const keys: SortKey[] = [
    ...order.map((o) => {
      const alias = o.type === 'metric' ? metricJoins.get(o.key)! : undefined;
      const expr = o.type === 'metric' ? sql.ref(`${alias!}.value`) : sortValue({ ...o, type: o.type });
      return { expr, ascending: o.ascending, nullable: !alias?.startsWith('mf') && !(o.type === 'attribute' && o.key !== 'end_time') };
    }),
    { expr: sql.ref('runs.start_time'), ascending: false, nullable: false },
    { expr: sql.ref('runs.run_uuid'), ascending: true, nullable: false },
  ];
  keys.forEach((k, i) => {
    q = q.select(sql`${k.expr}`.as(`sort_${i}`));
  });
  q = q.where('runs.experiment_id', 'in', search.experimentIds.length > 0 ? search.experimentIds : [-1]);
  if (search.view !== 'ALL') q = q.where('runs.lifecycle_stage', '=', search.view === 'ACTIVE_ONLY' ? 'active' : 'deleted');
  // Metric filters were applied by their joins above.
  for (const f of filters) if (f.type !== 'metric') q = q.where(condition({ ...f, type: f.type }));
  if (search.pageToken) {
    const position = decodeToken(search.pageToken)['after'];
    if (!Array.isArray(position) || position.length !== keys.length) throw new BerthError('invalid_input', `page_token ${describeValue(search.pageToken)} does not belong to this search`);
    q = q.where(after(keys, position));
  }
  for (const k of keys) {
    if (k.nullable) q = q.orderBy(sql`case when ${k.expr} is null then 1 else 0 end`);
    q = q.orderBy(sql`${k.expr}`, k.ascending ? 'asc' : 'desc');
  }
  const rows = (await q.limit(search.maxResults + 1).execute()) as Array<RunsTable & Record<string, unknown>>;
  const page = rows.slice(0, search.maxResults);
  const strip = (r: RunsTable & Record<string, unknown>): RunsTable => {
    const copy: Record<string, unknown> = { ...r };
    for (let i = 0; i < keys.length; i++) delete copy[`sort_${i}`];
    return copy as unknown as RunsTable;
  };
  if (rows.length <= search.maxResults) return { rows: page.map(strip) };
  const last = page[page.length - 1]!;
  return { rows: page.map(strip), nextPageToken: encodeToken({ after: keys.map((_, i) => normalize(last[`sort_${i}`])) }) };
}

/** Sort values as JSON keeps them (Postgres bigints come back as numbers through the store's parser). */
function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  return value ?? null;
}
