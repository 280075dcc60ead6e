import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../src/pipelines/durations.js';
import { refusal } from '../helpers/refusals.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1h 30m 5s', 5_405_000],
    ['2m30s250ms', 150_250],
    ['1.5h', 5_400_000],
    ['0s', 0],
    [' 7d ', MAX_DURATION_MS],
    ['45', 45_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text, 'timeout')).toBe(ms);
  });

  it('reads numbers as seconds', () => {
    expect(parseDuration(30, 'timeout')).toBe(30_000);
    expect(parseDuration(0.25, 'timeout')).toBe(250);
    expect(parseDuration(0, 'timeout')).toBe(0);
  });

  it.each([
    ['-5s', 'negative'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['5y', "unknown unit 'y'"],
    ['5sec', "unknown unit 'sec'"],
    ['8d', 'longer than 7 days'],
    ['7d1s', 'longer than 7 days'],
    ['30m1h', 'largest to smallest'],
    ['1m1m', 'largest to smallest'],
    ['h', "cannot read 'h'"],
    ['5 s x', "cannot read 'x'"],
  ])('refuses %j naming the field', (text, why) => {
    const err = refusal(() => parseDuration(text, 'steps[0].timeout'));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toMatch(/^steps\[0\]\.timeout: expected a duration/);
    expect(err.message).toContain(`got ${JSON.stringify(text)}`);
    expect(err.message).toContain(why);
  });

  it('refuses negative, huge and non-finite numbers', () => {
    expect(refusal(() => parseDuration(-1, 'retry_delay')).message).toContain('negative');
    expect(refusal(() => parseDuration(8 * 86_400, 'retry_delay')).message).toContain('longer than 7 days');
    expect(refusal(() => parseDuration(Number.POSITIVE_INFINITY, 'retry_delay')).message).toContain('retry_delay');
    expect(refusal(() => parseDuration(Number.NaN, 'retry_delay')).message).toContain('retry_delay');
  });

  it('formats durations the way people write them', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(5_405_000)).toBe('1h30m5s');
    expect(parseDuration(formatDuration(93_784_005), 'x')).toBe(93_784_005);
  });
});
