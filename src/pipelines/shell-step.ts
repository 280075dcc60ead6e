import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from './durations.js';

export interface ShellStepOptions {
  /** Already interpolated; run with `/bin/sh -c`. */
  command: string;
  /** Absolute. */
  cwd: string;
  /** Extra variables, laid over `process.env` (BERTH_OUTPUT is added last and cannot be overridden). */
  env: Record<string, string>;
  /** Absolute path, exported as $BERTH_OUTPUT; the command may write a JSON object there. */
  outputFile: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Default 1 MiB: the last bytes are kept, with a marker saying earlier output was cut. */
  maxLogBytes?: number;
  /** Live stdout and stderr, interleaved in arrival order. */
  onLog?: (chunk: string) => void;
}

export interface ShellStepResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  outputs: Record<string, unknown>;
  /** Set when $BERTH_OUTPUT holds something other than a JSON object; the attempt then counts as failed. */
  outputsError?: string;
  log: string;
  logTruncated: boolean;
  durationMs: number;
  /** exitCode 0, not timed out, not cancelled and readable outputs. */
  ok: boolean;
}

export const DEFAULT_MAX_LOG_BYTES = 1024 * 1024;
export const MAX_OUTPUT_FILE_BYTES = 1024 * 1024;
/** Between SIGTERM and SIGKILL: long enough to flush and clean up, short enough that cancel feels prompt. */
export const KILL_GRACE_MS = 2000;
/** After the shell exits, how long its pipes may stay open (output still draining) before we stop waiting. */
const DRAIN_MS = 500;

/**
 * Keeps the last `limit` bytes of a log. Chunks arrive as decoded strings (so a UTF-8 character split
 * across reads is whole), and whole chunks are dropped from the front as newer ones arrive, so memory
 * stays near the limit however much a command prints.
 */
class LogTail {
  private chunks: Array<{ text: string; bytes: number }> = [];
  private bytes = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(text: string): void {
    if (text === '') return;
    const bytes = Buffer.byteLength(text, 'utf8');
    this.chunks.push({ text, bytes });
    this.bytes += bytes;
    while (this.bytes > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.bytes - this.limit;
      this.truncated = true;
      if (first.bytes <= excess) {
        this.chunks.shift();
        this.bytes -= first.bytes;
        continue;
      }
      // Cut inside the oldest chunk; drop a character broken by the byte cut rather than show U+FFFD.
      const rest = Buffer.from(first.text, 'utf8').subarray(excess);
      let start = 0;
      while (start < rest.length && (rest[start]! & 0xc0) === 0x80) start++;
      const kept = rest.subarray(start).toString('utf8');
      this.chunks[0] = { text: kept, bytes: rest.length - start };
      this.bytes -= excess + start;
    }
  }

  text(): string {
    const body = this.chunks.map((c) => c.text).join('');
    return this.truncated ? `[berth] earlier output was cut; showing the last ${this.bytes} bytes\n${body}` : body;
  }
}

/**
 * Whether any process of the group is still running. `kill(-pgid, 0)` alone also counts zombies, and in
 * containers whose PID 1 does not reap orphans those never go away; on Linux /proc tells them apart.
 */
async function groupAlive(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    // EPERM means something in the group exists but is not ours to signal: still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  let entries: string[];
  try {
    entries = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  const states = await Promise.all(
    entries.map(async (name) => {
      try {
        const stat = await readFile(`/proc/${name}/stat`, 'utf8');
        // Fields after the parenthesised command name: state, ppid, pgrp, ...
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(pgrp) === pgid && state !== 'Z' && state !== 'X';
      } catch {
        return false;
      }
    }),
  );
  return states.some(Boolean);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * SIGTERM to the whole process group (the shell and everything it started), then SIGKILL to whatever
 * is left after the grace period. Killing only the shell would orphan `sleep 30 &`-style children,
 * which keep running and keep our pipes open.
 */
async function terminateGroup(pid: number, graceMs: number): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await groupAlive(pid))) return;
    await sleep(50);
  }
  signalGroup(pid, 'SIGKILL');
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

async function readOutputs(file: string): Promise<{ outputs: Record<string, unknown>; error?: string }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { outputs: {} };
    return { outputs: {}, error: `could not read $BERTH_OUTPUT (${file}): ${(err as Error).message}` };
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_OUTPUT_FILE_BYTES) {
      return { outputs: {}, error: `$BERTH_OUTPUT is ${size} bytes; the limit is ${MAX_OUTPUT_FILE_BYTES} (write large results to a file and output its path)` };
    }
    // Read at most the limit even if the file grows between stat and read.
    const buffer = Buffer.alloc(Math.min(size, MAX_OUTPUT_FILE_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    if (text.trim() === '') return { outputs: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { outputs: {}, error: `$BERTH_OUTPUT is not valid JSON: ${(err as Error).message}` };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { outputs: {}, error: `$BERTH_OUTPUT must hold a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}` };
    }
    return { outputs: parsed as Record<string, unknown> };
  } finally {
    await handle.close();
  }
}

function childEnv(extra: Record<string, string>, outputFile: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return { ...env, ...extra, BERTH_OUTPUT: outputFile };
}

/** Runs one attempt of a `run:` step. Never throws for anything the command does; the result says it. */
export async function runShellStep(options: ShellStepOptions): Promise<ShellStepResult> {
  const started = performance.now();
  const tail = new LogTail(options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES);
  const emit = (text: string): void => {
    if (text === '') return;
    tail.push(text);
    try {
      options.onLog?.(text);
    } catch {
      // A failing log listener (a closed SSE stream, say) must not take the step down with it.
    }
  };
  const finish = (fields: Partial<ShellStepResult> & Pick<ShellStepResult, 'exitCode' | 'signal'>): ShellStepResult => {
    const result: ShellStepResult = {
      timedOut: false,
      cancelled: false,
      outputs: {},
      ...fields,
      log: tail.text(),
      logTruncated: tail.truncated,
      durationMs: Math.round(performance.now() - started),
      ok: false,
    };
    result.ok = result.exitCode === 0 && !result.timedOut && !result.cancelled && result.outputsError === undefined;
    return result;
  };

  if (options.signal?.aborted) {
    emit('[berth] cancelled before the command started\n');
    return finish({ exitCode: null, signal: null, cancelled: true });
  }
  // Checked here because spawn reports a missing cwd as "spawn /bin/sh ENOENT", which points at the wrong thing.
  if (!(await isDirectory(options.cwd))) {
    emit(`[berth] working directory ${options.cwd} does not exist or is not a directory\n`);
    return finish({ exitCode: null, signal: null });
  }
  try {
    await mkdir(path.dirname(options.outputFile), { recursive: true });
    // A file left by an earlier attempt would pass its outputs off as this attempt's.
    await rm(options.outputFile, { force: true });
  } catch (err) {
    emit(`[berth] cannot prepare $BERTH_OUTPUT at ${options.outputFile}: ${(err as Error).message}\n`);
    return finish({ exitCode: null, signal: null });
  }

  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', options.command], {
      cwd: options.cwd,
      env: childEnv(options.env, options.outputFile),
      // Its own process group, so a timeout or cancel can signal everything the command started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    emit(`[berth] could not start the command: ${(err as Error).message}\n`);
    return finish({ exitCode: null, signal: null });
  }

  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  child.stdout!.on('data', (chunk: Buffer) => emit(decoders.stdout.write(chunk)));
  child.stderr!.on('data', (chunk: Buffer) => emit(decoders.stderr.write(chunk)));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

  let timedOut = false;
  let cancelled = false;
  let killing: Promise<void> | undefined;
  const stop = (why: string): void => {
    if (killing || child.pid === undefined) return;
    emit(`\n[berth] ${why}; stopping the command (SIGTERM, then SIGKILL after ${formatDuration(KILL_GRACE_MS)})\n`);
    killing = terminateGroup(child.pid, KILL_GRACE_MS);
  };
  const timer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          stop(`timed out after ${formatDuration(options.timeoutMs!)}`);
        }, options.timeoutMs)
      : undefined;
  const onAbort = (): void => {
    if (timedOut) return;
    cancelled = true;
    stop('cancelled');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // An abort that landed while the output file was prepared fired before the listener existed.
  if (options.signal?.aborted) onAbort();

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // `on`, not `once`: an 'error' event with no listener left would crash the whole process.
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
  });
  if (timer) clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  if (exit.error) emit(`[berth] the command failed to run: ${exit.error.message}\n`);

  if (child.pid !== undefined) {
    if (killing) await killing;
    else {
      await Promise.race([closed, sleep(DRAIN_MS)]);
      // The shell is done but something it started in the background lives on: no process outlives its step.
      if (await groupAlive(child.pid)) {
        emit('\n[berth] the command left processes running in the background; stopping them\n');
        await terminateGroup(child.pid, KILL_GRACE_MS);
      }
    }
  }
  // A process that escaped the group (setsid) may still hold our pipes; do not wait on it forever.
  await Promise.race([closed, sleep(DRAIN_MS)]);
  child.stdout?.destroy();
  child.stderr?.destroy();
  emit(decoders.stdout.end());
  emit(decoders.stderr.end());

  const { outputs, error: outputsError } = await readOutputs(options.outputFile);
  if (outputsError) emit(`[berth] ${outputsError}\n`);
  return finish({
    exitCode: exit.code,
    signal: exit.signal,
    timedOut,
    cancelled,
    outputs,
    ...(outputsError !== undefined ? { outputsError } : {}),
  });
}
