import { BerthError, describeValue } from '../errors/index.js';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
/** Largest first: `1h30m` reads naturally, `30m1h` is almost always a typo worth pointing out. */
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];

export const MAX_DURATION_MS = 7 * UNIT_MS.d;

// `ms` must be tried before `m`, or `500ms` would read as 500 minutes followed by junk.
const PART = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|d|h|m|s)(?![a-z])/iy;

function refuse(field: string, value: unknown, why: string): BerthError {
  return new BerthError('invalid_input', `${field}: expected a duration such as 500ms, 5s, 10m, 2h, 1d or 1h30m (at most 7d), got ${describeValue(value)}${why ? ` (${why})` : ''}`, {
    field,
    value,
  });
}

/**
 * A duration in milliseconds. Numbers are seconds (YAML `timeout: 30`); strings combine unit parts,
 * largest first (`1h30m`, `2m 30s`). Negative, empty, unit-less-with-junk, unknown units and anything
 * over seven days are refused with a message naming `field`.
 */
export function parseDuration(value: string | number, field: string): number {
  if (typeof value === 'number') return checked(value * 1000, value, field);
  if (typeof value !== 'string') throw refuse(field, value, 'not a string or number');
  const text = value.trim();
  if (text === '') throw refuse(field, value, 'empty');
  if (text.startsWith('-')) throw refuse(field, value, 'negative');
  // A bare number in a string is seconds, the same as the unquoted form, so quoting does not change meaning.
  if (/^(\d+(\.\d+)?|\.\d+)$/.test(text)) return checked(Number(text) * 1000, value, field);

  let total = 0;
  let index = 0;
  let lastRank = -1;
  PART.lastIndex = 0;
  while (index < text.length) {
    PART.lastIndex = index;
    const match = PART.exec(text);
    if (!match) {
      const rest = text.slice(index);
      const unit = /^[\d.]+\s*([a-zA-Z]+)/.exec(rest)?.[1];
      throw refuse(field, value, unit ? `unknown unit '${unit}'; use ms, s, m, h or d` : `cannot read '${rest}'`);
    }
    const unit = match[2]!.toLowerCase() as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastRank) throw refuse(field, value, `units must go from largest to smallest, each at most once`);
    lastRank = rank;
    total += Number(match[1]) * UNIT_MS[unit];
    index = PART.lastIndex;
    while (text[index] === ' ') index++;
  }
  return checked(total, value, field);
}

function checked(ms: number, value: unknown, field: string): number {
  if (!Number.isFinite(ms)) throw refuse(field, value, 'not a finite number');
  if (ms < 0) throw refuse(field, value, 'negative');
  if (ms > MAX_DURATION_MS) throw refuse(field, value, 'longer than 7 days');
  return Math.round(ms);
}

/** `90000` → `1m30s`: durations in messages read the way users write them. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms);
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
