import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inputsJsonOf } from '../../src/monitoring/inputs-json.js';

describe('inputsJsonOf (the logged instance cut from the request body, on the writer thread)', () => {
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
          const cut = inputsJsonOf(text);
          expect(cut).toBeDefined();
          // Against the parsed body, not `inputs`: JSON has no -0.
          expect(JSON.parse(cut!)).toEqual((JSON.parse(text) as { inputs: unknown }).inputs);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('agrees with JSON.parse on any JSON value: the inputs object when there is one, else undefined (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ inputs: fc.jsonValue() }), fc.record({ a: fc.jsonValue(), inputs: fc.jsonValue() })), (value) => {
        const text = JSON.stringify(value);
        const parsed = JSON.parse(text) as unknown;
        const inputs = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>)['inputs'] : undefined;
        const isObject = inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs);
        const cut = inputsJsonOf(text);
        if (isObject) expect(JSON.parse(cut!)).toEqual(inputs);
        else expect(cut).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the last inputs key, as JSON.parse does; declines bodies without an inputs object', () => {
    const text = '{"inputs": {"a": 1}, "inputs": {"b": "}{\\"inputs\\""}}';
    expect(JSON.parse(inputsJsonOf(text)!)).toEqual({ b: '}{"inputs"' });
    expect(inputsJsonOf('{"inputs": {"a": 1}, "inputs": [1]}')).toBeUndefined();
    expect(inputsJsonOf('{"inputs": 5, "x": {"inputs": {"a": 1}}}')).toBeUndefined();
    expect(inputsJsonOf('{"instances": [{"a": 1}]}')).toBeUndefined();
    expect(inputsJsonOf('{"inputs": [1]}')).toBeUndefined();
    expect(inputsJsonOf('["inputs", {"a": 1}]')).toBeUndefined();
    expect(inputsJsonOf(' \n{"inputs" : {}}')).toBe('{}');
  });
});
