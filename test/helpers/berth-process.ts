import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const BIN = path.resolve(import.meta.dirname, '../../bin/berth.js');

export interface BerthChild {
  child: ChildProcess;
  /** The first capture group of `ready` (or the whole match) once the process prints it. */
  ready: Promise<string>;
  output(): string;
  /** SIGTERM, then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** A long-running `berth ARGS` process (serve, worker) of the compiled CLI, ready once stdout matches `ready`. */
export function startBerth(args: string[], env: NodeJS.ProcessEnv, cwd: string, ready: RegExp): BerthChild {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const readyPromise = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve(m[1] ?? m[0]);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`berth ${args[0]} exited ${code}: ${out}`)));
  });
  return {
    child,
    ready: readyPromise,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}
