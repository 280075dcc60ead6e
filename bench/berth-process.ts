import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface BerthProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `berth serve` as its own process (so the load generator does not share its event loop), on a given home. */
export async function startBerthProcess(home: string, env: Record<string, string>, args: string[] = []): Promise<BerthProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/berth.js'), 'serve', '--port', '0', ...args], {
    cwd: home,
    env: { ...process.env, BERTH_HOME: home, BERTH_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`berth serve exited ${code}: ${out}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
