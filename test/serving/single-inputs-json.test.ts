import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { singleInputsJson } from '../../src/serving/routes/predict-routes.js';

describe('singleInputsJson (the logged instance cut from the request text)', () => {
  it('is exactly the inputs value for any {"inputs": ...} body, however it is spaced or escaped', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom(0, 1, 2, '\t'), fc.boolean(), (inputs, indent, escapeKey) => {
        let text = JSON.stringify({ inputs }, null, indent);
        if (escapeKey) text = text.replace('"inputs"', '"\\u0069nputs"');
        const cut = singleInputsJson(text, JSON.parse(text));
        expect(cut).toBeDefined();
        expect(JSON.parse(cut!)).toEqual(JSON.parse(JSON.stringify(inputs)));
      }),
      { numRuns: 300 },
    );
  });

  it('declines bodies with other keys, and non-objects', () => {
    expect(singleInputsJson('{"inputs": {"a": 1}, "parameters": {"top_k": 2}}', { inputs: { a: 1 }, parameters: { top_k: 2 } })).toBeUndefined();
    expect(singleInputsJson('{"instances": [{"a": 1}]}', { instances: [{ a: 1 }] })).toBeUndefined();
    expect(singleInputsJson(undefined, { inputs: {} })).toBeUndefined();
    expect(singleInputsJson('[1]', [1])).toBeUndefined();
  });
});
