/**
 * Columns of a CSV file for drift, read with csv-parse's streaming parser (a file of millions of rows
 * never sits in memory as one string). Cells are trimmed; an empty cell is a missing value. A column is
 * numeric when every present cell is a number (the rule of datasets/profile.ts, however few distinct
 * values it holds: a 0/1 column is numeric, and the default rule still tests it with the z-test),
 * categorical otherwise.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { BerthError } from '../../errors/index.js';
import type { ColumnSample, DriftColumnKind } from './types.js';

/** The number syntax of datasets/profile.ts (no inf/nan words, no thousands separators). */
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The cells of the chosen columns of one CSV file, plus what typing needs. */
export interface CsvCells {
  file: string;
  header: string[];
  rows: number;
  cells: Map<string, Array<string | null>>;
  /** Every present cell of the column is a number (true for a column with no present cell). */
  numericLike: Map<string, boolean>;
  /** Present (non-empty) cells per column. */
  present: Map<string, number>;
}

function listColumns(names: string[]): string {
  return `${names.slice(0, 40).join(', ')}${names.length > 40 ? ', ...' : ''}`;
}

/** Refuses what is clearly not a text table (a NUL byte in the first 4 KiB: ONNX, images, archives). */
async function checkText(file: string): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw new BerthError('invalid_input', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!info.isFile()) throw new BerthError('invalid_input', `${file} is not a file`);
  if (info.size === 0) throw new BerthError('invalid_input', `${file} is empty, expected a CSV file with a header line`);
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    if (buffer.subarray(0, bytesRead).includes(0)) throw new BerthError('invalid_input', `${file} is not a CSV file (it holds binary data)`);
  } finally {
    await handle.close();
  }
}

/**
 * Reads the header and the chosen columns (default all) of at most `maxRows` data rows. Refuses a
 * missing or binary file, a malformed CSV (naming the line), duplicate or empty header names, a
 * requested column the file lacks, and a file without data rows.
 */
export async function readCsvCells(file: string, options: { columns?: string[]; maxRows?: number } = {}): Promise<CsvCells> {
  await checkText(file);
  const parser = parse({ bom: true, trim: true, skip_empty_lines: true });
  const input = createReadStream(file);
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let header: string[] | undefined;
  let picked: Array<{ name: string; index: number; cells: Array<string | null> }> = [];
  const numericLike = new Map<string, boolean>();
  const present = new Map<string, number>();
  let rows = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = record;
        const seen = new Set<string>();
        header.forEach((name, i) => {
          if (name === '') throw new BerthError('invalid_input', `${file}: column ${i + 1} of the header line has no name`);
          if (seen.has(name)) throw new BerthError('invalid_input', `${file}: column '${name}' appears twice in the header line`);
          seen.add(name);
        });
        const wanted = options.columns ?? header;
        for (const name of wanted) {
          if (!seen.has(name)) throw new BerthError('invalid_input', `column '${name}' is not in ${file} (columns: ${listColumns(header)})`);
        }
        picked = wanted.map((name) => ({ name, index: header!.indexOf(name), cells: [] }));
        for (const p of picked) {
          numericLike.set(p.name, true);
          present.set(p.name, 0);
        }
        continue;
      }
      if (options.maxRows !== undefined && rows >= options.maxRows) break;
      rows++;
      for (const p of picked) {
        const cell = record[p.index]!;
        if (cell === '') {
          p.cells.push(null);
          continue;
        }
        p.cells.push(cell);
        present.set(p.name, present.get(p.name)! + 1);
        if (numericLike.get(p.name) && !NUMBER.test(cell)) numericLike.set(p.name, false);
      }
    }
  } catch (err) {
    if (err instanceof BerthError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'EISDIR' || (err as NodeJS.ErrnoException).syscall) throw new BerthError('invalid_input', `cannot read ${file}: ${(err as Error).message}`);
    throw new BerthError('invalid_input', `cannot parse ${file} as CSV: ${(err as Error).message}`);
  } finally {
    input.destroy();
  }
  if (!header) throw new BerthError('invalid_input', `${file} has no header line`);
  if (rows === 0) throw new BerthError('invalid_input', `${file} has a header but no data rows`);
  return { file, header, rows, cells: new Map(picked.map((p) => [p.name, p.cells])), numericLike, present };
}

/** The kind a file's cells suggest: numeric when there are present cells and all are numbers. */
export function inferKind(table: CsvCells, name: string): DriftColumnKind {
  return table.numericLike.get(name) && (table.present.get(name) ?? 0) > 0 ? 'numeric' : 'categorical';
}

/** Column samples from CSV cells, with the given kinds (default: inferKind). */
export function samplesFromCells(table: CsvCells, kinds: Partial<Record<string, DriftColumnKind>> = {}): ColumnSample[] {
  return [...table.cells.entries()].map(([name, cells]) => {
    const kind = kinds[name] ?? inferKind(table, name);
    if (kind === 'categorical') return { name, kind, categories: cells };
    if (!table.numericLike.get(name)) {
      const bad = cells.find((c) => c !== null && !NUMBER.test(c));
      throw new BerthError('invalid_input', `column '${name}' of ${table.file} is not numeric: it holds ${JSON.stringify(bad)}`);
    }
    const numbers = new Float64Array(cells.length);
    cells.forEach((c, i) => (numbers[i] = c === null ? Number.NaN : Number(c)));
    return { name, kind, numbers };
  });
}

/**
 * Reads the columns of a CSV file as drift samples (see the module comment for the typing; `kinds`
 * forces a kind per column). `rows` counts the data rows read.
 */
export async function readCsvColumns(file: string, options: { columns?: string[]; maxRows?: number; kinds?: Partial<Record<string, DriftColumnKind>> } = {}): Promise<{ columns: ColumnSample[]; rows: number }> {
  const table = await readCsvCells(file, options);
  return { columns: samplesFromCells(table, options.kinds), rows: table.rows };
}
