import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { singleInputsJson } from '../../src/serving/routes/predict-routes.js';

describe('singleInputsJson (the logged instance cut from the request text)', () => {
  it('is exactly the inputs object for any body, however it is spaced, escaped or ordered (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.dictionary(fc.string().filter((k) => k !== 'inputs'), fc.jsonValue(), { maxKeys: 3 }),
        fc.constantFrom(0, 1, 2, '\t'),
        fc.boolean(),
        fc.boolean(),
        (inputs, others, indent, escapeKey, inputsFirst) => {
          const body = inputsFirst ? { inputs, ...others } : { ...others, inputs };
          let text = JSON.stringify(body, null, indent);
          if (escapeKey) text = text.replace(/"inputs"(\s*):/, '"\\u0069nputs"$1:');
          const parsed = JSON.parse(text) as Record<string, unknown>;
          const cut = singleInputsJson(text, parsed);
          expect(cut).toBeDefined();
          expect(JSON.parse(cut!)).toEqual(parsed['inputs']);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps the last inputs key, as JSON.parse does; declines bodies without an inputs object', () => {
    const text = '{"inputs": {"a": 1}, "inputs": {"b": "}{\\"inputs\\""}}';
    expect(JSON.parse(singleInputsJson(text, JSON.parse(text))!)).toEqual({ b: '}{"inputs"' });
    expect(singleInputsJson('{"instances": [{"a": 1}]}', { instances: [{ a: 1 }] })).toBeUndefined();
    expect(singleInputsJson('{"inputs": [1]}', { inputs: [1] })).toBeUndefined();
    expect(singleInputsJson(undefined, { inputs: {} })).toBeUndefined();
    expect(singleInputsJson('[1]', [1])).toBeUndefined();
  });
});
