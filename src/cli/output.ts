import Table from 'cli-table3';

/** How a command prints: a human table by default, JSON with --json (for scripts and other tools). */
export interface Output {
  json: boolean;
  /** Prints `data` as JSON, or calls `human` to print it for people. */
  result(data: unknown, human: () => void): void;
  table(head: string[], rows: Array<Array<string | number | null | undefined>>): void;
  line(text: string): void;
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    result(data, human) {
      if (json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      else human();
    },
    table(head, rows) {
      const table = new Table({ head, style: { head: [], border: [] } });
      for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
      process.stdout.write(`${table.toString()}\n`);
    },
    line(text) {
      process.stdout.write(`${text}\n`);
    },
  };
}

export function shortTime(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Commander's accumulator for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `k=v` pairs from the command line into a tags object. */
export function parsePairs(pairs: string[] | undefined, what = 'tag'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`${what} '${pair}' must look like key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
