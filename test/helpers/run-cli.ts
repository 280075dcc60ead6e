import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
// The real executable over the compiled code: `npm test` builds dist/ before the suites run.
const BIN = path.join(ROOT, 'bin/berth.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `berth ARGS` in a child process with the given environment and working directory. */
export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function json<T>(result: CliResult): T {
  if (result.code !== 0) throw new Error(`berth exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
