import { parse } from 'csv-parse/sync';
import { BerthError, describeValue } from '../errors/index.js';

/**
 * Parses CSV text with a header row into records of strings, as trainTabular takes them. Synchronous
 * (unlike monitoring's readCsvRecords) because training itself is synchronous. Cells are trimmed and
 * empty lines skipped; a row with the wrong number of cells is refused with its line number.
 */
export function readTrainingCsv(text: string): Array<Record<string, string>> {
  if (typeof text !== 'string') throw new BerthError('invalid_input', `expected CSV text, got ${describeValue(text)}`);
  try {
    return parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
  } catch (err) {
    throw new BerthError('invalid_input', `training data is not a CSV with a header row: ${(err as Error).message}`, { got: describeValue(text.slice(0, 40)) });
  }
}
