import { BerthError } from '../../src/errors/index.js';

/** The BerthError a call refuses with; any other outcome (success, another error) fails the test. */
export function refusal(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('expected a refusal, but the call succeeded');
}

/** The same for a promise. */
export async function refusalOf(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('expected a refusal, but the call succeeded');
}
