import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OUTPUT_FILE_BYTES, runShellStep, type ShellStepOptions } from '../../src/pipelines/shell-step.js';

let dir: string;
let counter = 0;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-shell-step-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function step(command: string, extra: Partial<ShellStepOptions> = {}) {
  counter++;
  return runShellStep({ command, cwd: dir, env: {}, outputFile: path.join(dir, 'out', `step-${counter}.json`), ...extra });
}

/** Alive means running: a zombie (exited, waiting to be reaped by a PID 1 that may never do it) counts as gone. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs = 3000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!running(pid)) return true;
    await sleep(25);
  }
  return !running(pid);
}

describe('runShellStep', () => {
  it('reports success and exit codes', async () => {
    const ok = await step('echo hello');
    expect(ok).toMatchObject({ exitCode: 0, signal: null, timedOut: false, cancelled: false, ok: true, outputs: {}, logTruncated: false });
    expect(ok.log).toBe('hello\n');
    expect(ok.durationMs).toBeGreaterThanOrEqual(0);

    const failed = await step('echo going; exit 3');
    expect(failed).toMatchObject({ exitCode: 3, ok: false });
    expect(failed.log).toContain('going');
  });

  it('captures stderr with stdout, in arrival order, live', async () => {
    const chunks: string[] = [];
    const result = await step('echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2', { onLog: (c) => chunks.push(c) });
    expect(result.log).toBe('out1\nerr1\nout2\n');
    expect(chunks.join('')).toBe(result.log);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
  });

  it('passes env on top of process.env, plus BERTH_OUTPUT', async () => {
    const outputFile = path.join(dir, 'env-check.json');
    const result = await step('printf "%s|%s|%s|%s" "$GREETING" "$BERTH_OUTPUT" "$PATH" "$(pwd)"', {
      env: { GREETING: 'hi there', BERTH_OUTPUT: '/tmp/ignored' },
      outputFile,
    });
    const [greeting, output, pathVar, cwd] = result.log.split('|');
    expect(greeting).toBe('hi there');
    expect(output).toBe(outputFile);
    expect(pathVar).toBe(process.env['PATH']);
    expect(cwd).toBe(dir);
  });

  it('round-trips outputs through $BERTH_OUTPUT', async () => {
    const result = await step(`printf '{"rows": 569, "path": "/data/x.csv", "nested": {"ok": true}}' > "$BERTH_OUTPUT"`);
    expect(result.ok).toBe(true);
    expect(result.outputs).toEqual({ rows: 569, path: '/data/x.csv', nested: { ok: true } });
  });

  it('does not pass off a previous attempt’s output file as this one’s', async () => {
    const outputFile = path.join(dir, 'stale.json');
    writeFileSync(outputFile, '{"stale": true}');
    expect((await step('true', { outputFile })).outputs).toEqual({});
  });

  it('fails the attempt on invalid or non-object output JSON', async () => {
    const invalid = await step(`echo '{"rows": ' > "$BERTH_OUTPUT"`);
    expect(invalid.exitCode).toBe(0);
    expect(invalid.ok).toBe(false);
    expect(invalid.outputsError).toContain('not valid JSON');
    expect(invalid.log).toContain('not valid JSON');

    const array = await step(`echo '[1, 2]' > "$BERTH_OUTPUT"`);
    expect(array.ok).toBe(false);
    expect(array.outputsError).toContain('must hold a JSON object, got an array');

    const empty = await step(`: > "$BERTH_OUTPUT"`);
    expect(empty.ok).toBe(true);
    expect(empty.outputs).toEqual({});
  });

  it('refuses an oversized output file', async () => {
    const result = await step(`head -c ${MAX_OUTPUT_FILE_BYTES + 10} /dev/zero > "$BERTH_OUTPUT"`);
    expect(result.ok).toBe(false);
    expect(result.outputsError).toContain('the limit is');
  });

  it('keeps the tail of a long log with a marker', async () => {
    const result = await step('i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done', { maxLogBytes: 1000 });
    expect(result.ok).toBe(true);
    expect(result.logTruncated).toBe(true);
    expect(result.log).toMatch(/^\[berth\] earlier output was cut; showing the last \d+ bytes\n/);
    expect(result.log.endsWith('line 1999\n')).toBe(true);
    expect(result.log).not.toContain('line 0\n');
    const body = result.log.slice(result.log.indexOf('\n') + 1);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1000);
    expect(Buffer.byteLength(body)).toBeGreaterThan(900);
  });

  it('cuts a multi-byte log on a character boundary', async () => {
    const result = await step(`i=0; while [ $i -lt 300 ]; do printf 'é€😀'; i=$((i+1)); done`, { maxLogBytes: 101 });
    expect(result.logTruncated).toBe(true);
    expect(result.log).not.toContain('\uFFFD');
    expect(result.log.endsWith('😀')).toBe(true);
  });

  it('returns a clear result, not a throw, when cwd is missing', async () => {
    const result = await step('echo never', { cwd: path.join(dir, 'does-not-exist') });
    expect(result).toMatchObject({ ok: false, exitCode: null, timedOut: false, cancelled: false });
    expect(result.log).toContain(`working directory ${path.join(dir, 'does-not-exist')} does not exist`);
  });

  it('on timeout kills the whole process group, grandchildren included', async () => {
    const pidFile = path.join(dir, 'timeout.pid');
    const started = Date.now();
    const result = await step(`sleep 30 & echo $! > ${pidFile}; sh -c 'sleep 31' & wait`, { timeoutMs: 300 });
    expect(result).toMatchObject({ timedOut: true, cancelled: false, ok: false, exitCode: null, signal: 'SIGTERM' });
    expect(result.log).toContain('timed out after 300ms');
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const pidFile = path.join(dir, 'stubborn.pid');
    const started = Date.now();
    const result = await step(`trap '' TERM; sh -c "trap '' TERM; echo \\$\\$ > ${pidFile}; while :; do sleep 0.1; done" & wait`, { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(await gone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('cancels through an AbortSignal', async () => {
    const pidFile = path.join(dir, 'cancel.pid');
    const controller = new AbortController();
    const pending = step(`sleep 30 & echo $! > ${pidFile}; echo started; wait`, {
      signal: controller.signal,
      onLog: (chunk) => {
        if (chunk.includes('started')) controller.abort();
      },
    });
    const result = await pending;
    expect(result).toMatchObject({ cancelled: true, timedOut: false, ok: false });
    expect(result.log).toContain('cancelled');
    expect(await gone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('does not start when already cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const marker = path.join(dir, 'should-not-exist');
    const result = await step(`touch ${marker}`, { signal: controller.signal });
    expect(result.cancelled).toBe(true);
    expect(() => readFileSync(marker)).toThrow();
  });

  it('stops background processes the command leaves behind', async () => {
    const pidFile = path.join(dir, 'orphan.pid');
    const started = Date.now();
    const result = await step(`sleep 30 > /dev/null 2>&1 & echo $! > ${pidFile}; echo done`);
    expect(result.ok).toBe(true);
    expect(result.log).toContain('left processes running in the background');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await gone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('does not wait on a background process that holds the log pipe open', async () => {
    const started = Date.now();
    const result = await step('sleep 30 & echo done');
    expect(result.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('survives a throwing log listener', async () => {
    const result = await step('echo a', {
      onLog: () => {
        throw new Error('listener broke');
      },
    });
    expect(result.ok).toBe(true);
    expect(result.log).toBe('a\n');
  });
});
