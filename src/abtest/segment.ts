import { BerthError } from '../errors/index.js';

/**
 * Segment conditions on request attributes and features, joined by `and`:
 *   `age in [65, 85]` (two numbers in brackets: an inclusive range), `region in [north, south]` (a set),
 *   `plan = pro`, `plan != free`, `score >= 0.5` (also >, <, <=).
 * Hand-written: a dozen lines of grammar that no library states this way; property-tested.
 */
export type Condition =
  | { field: string; op: 'range'; min: number; max: number }
  | { field: string; op: 'in'; values: string[] }
  | { field: string; op: '=' | '!='; value: string }
  | { field: string; op: '>' | '>=' | '<' | '<='; value: number };

const CLAUSE = /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(in|!=|>=|<=|=|>|<)\s*(.+?)\s*$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function unquote(text: string): string {
  const t = text.trim();
  return (t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")) ? t.slice(1, -1) : t;
}

export function parseSegment(text: string): Condition[] {
  if (text.trim() === '') return [];
  return text.split(/\s+and\s+/i).map((clause) => {
    const m = CLAUSE.exec(clause);
    if (!m) throw new BerthError('invalid_input', `segment: cannot read '${clause.trim()}': expected FIELD in [a, b], FIELD = value, FIELD != value or FIELD >|>=|<|<= number`);
    const [, field, op, rest] = m as unknown as [string, string, string, string];
    if (op === 'in') {
      if (!rest.startsWith('[') || !rest.endsWith(']')) throw new BerthError('invalid_input', `segment: '${field} in ...' needs a bracketed list, e.g. [north, south] or [65, 85], got '${rest}'`);
      const items = rest.slice(1, -1).split(',').map(unquote).filter((s) => s !== '');
      if (items.length === 0) throw new BerthError('invalid_input', `segment: '${field} in []' is empty`);
      if (items.length === 2 && items.every((i) => NUMBER.test(i))) {
        const [min, max] = items.map(Number) as [number, number];
        if (min > max) throw new BerthError('invalid_input', `segment: range [${min}, ${max}] of '${field}' is empty (min > max)`);
        return { field, op: 'range', min, max };
      }
      return { field, op: 'in', values: items };
    }
    if (op === '=' || op === '!=') return { field, op, value: unquote(rest) };
    if (!NUMBER.test(rest)) throw new BerthError('invalid_input', `segment: '${field} ${op}' needs a number, got '${rest}'`);
    return { field, op: op as '>' | '>=' | '<' | '<=', value: Number(rest) };
  });
}

/** Whether a request's attributes (features and attributes merged) satisfy every condition; a missing field fails. */
export function matchesSegment(conditions: readonly Condition[], attributes: Readonly<Record<string, unknown>>): boolean {
  for (const c of conditions) {
    const v = attributes[c.field];
    if (v === undefined || v === null) return false;
    switch (c.op) {
      case 'range':
        if (typeof v !== 'number' || v < c.min || v > c.max) return false;
        break;
      case 'in':
        if (!c.values.includes(String(v))) return false;
        break;
      case '=':
        if (String(v) !== c.value) return false;
        break;
      case '!=':
        if (String(v) === c.value) return false;
        break;
      default: {
        if (typeof v !== 'number') return false;
        const ok = c.op === '>' ? v > c.value : c.op === '>=' ? v >= c.value : c.op === '<' ? v < c.value : v <= c.value;
        if (!ok) return false;
      }
    }
  }
  return true;
}
