import Type, { type Static } from 'typebox';

/**
 * The model card: what a model version is, in enough detail that Berth can validate inputs, decode
 * outputs and watch drift without user code. Declared once here; validation, types and OpenAPI use it.
 */

const Name = Type.String({ minLength: 1, maxLength: 256 });

export const TensorDtype = Type.Union(
  [
    Type.Literal('float32'),
    Type.Literal('float64'),
    Type.Literal('float16'),
    Type.Literal('int8'),
    Type.Literal('int16'),
    Type.Literal('int32'),
    Type.Literal('int64'),
    Type.Literal('uint8'),
    Type.Literal('uint16'),
    Type.Literal('uint32'),
    Type.Literal('uint64'),
    Type.Literal('bool'),
    Type.Literal('string'),
  ],
  { description: 'Element type, in onnxruntime-node spelling.' },
);
export type TensorDtype = Static<typeof TensorDtype>;

/** A dimension: a fixed size, or -1 / a symbolic name for a variable one. */
const Dim = Type.Union([Type.Integer({ minimum: -1 }), Type.String({ minLength: 1, maxLength: 64 })]);

export const NumberFeature = Type.Object(
  {
    name: Name,
    type: Type.Literal('number'),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const CategoryFeature = Type.Object(
  {
    name: Name,
    type: Type.Literal('category'),
    values: Type.Array(Type.String({ maxLength: 256 }), { minItems: 1, maxItems: 10_000 }),
    /** `onehot`: one column per value; `index`: one column holding the value's position. */
    encoding: Type.Optional(Type.Union([Type.Literal('onehot'), Type.Literal('index')])),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const Feature = Type.Union([NumberFeature, CategoryFeature]);
export type Feature = Static<typeof Feature>;

export const TabularInput = Type.Object(
  {
    name: Name,
    kind: Type.Literal('tabular'),
    features: Type.Array(Feature, { minItems: 1, maxItems: 100_000 }),
    dtype: Type.Optional(Type.Union([Type.Literal('float32'), Type.Literal('float64')])),
    /** Accept (and ignore) fields not named in `features`. Refused by default. */
    allow_extra: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ImageInput = Type.Object(
  {
    name: Name,
    kind: Type.Literal('image'),
    width: Type.Integer({ minimum: 1, maximum: 65_536 }),
    height: Type.Integer({ minimum: 1, maximum: 65_536 }),
    channels: Type.Union([Type.Literal(1), Type.Literal(3), Type.Literal(4)]),
    layout: Type.Union([Type.Literal('NCHW'), Type.Literal('NHWC')]),
    dtype: Type.Optional(Type.Union([Type.Literal('float32'), Type.Literal('uint8')])),
    /** Multiplies raw 0..255 pixel values before mean/std (e.g. 1/255). */
    scale: Type.Optional(Type.Number()),
    mean: Type.Optional(Type.Array(Type.Number(), { minItems: 1, maxItems: 4 })),
    std: Type.Optional(Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1, maxItems: 4 })),
    min_width: Type.Optional(Type.Integer({ minimum: 1 })),
    min_height: Type.Optional(Type.Integer({ minimum: 1 })),
    max_width: Type.Optional(Type.Integer({ minimum: 1 })),
    max_height: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const TensorInput = Type.Object(
  {
    name: Name,
    kind: Type.Literal('tensor'),
    dtype: TensorDtype,
    shape: Type.Array(Dim, { maxItems: 16 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const CardInput = Type.Union([TabularInput, ImageInput, TensorInput]);
export type CardInput = Static<typeof CardInput>;

export const CardOutput = Type.Object(
  {
    name: Name,
    /** How to read the output: class probabilities, logits, a regression value, or a raw tensor. */
    kind: Type.Optional(
      Type.Union([Type.Literal('probabilities'), Type.Literal('logits'), Type.Literal('value'), Type.Literal('tensor')]),
    ),
    labels: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { minItems: 1, maxItems: 100_000 })),
    activation: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('softmax'), Type.Literal('sigmoid')])),
    dtype: Type.Optional(TensorDtype),
    shape: Type.Optional(Type.Array(Dim, { maxItems: 16 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type CardOutput = Static<typeof CardOutput>;

export const Task = Type.Union([
  Type.Literal('classification'),
  Type.Literal('regression'),
  Type.Literal('detection'),
  Type.Literal('ocr'),
  Type.Literal('embedding'),
  Type.Literal('generic'),
]);

export const ModelCard = Type.Object(
  {
    task: Task,
    description: Type.Optional(Type.String({ maxLength: 20_000 })),
    inputs: Type.Array(CardInput, { minItems: 1, maxItems: 256 }),
    outputs: Type.Array(CardOutput, { minItems: 1, maxItems: 256 }),
    metrics: Type.Optional(Type.Record(Type.String({ maxLength: 250 }), Type.Number())),
    preprocessing: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    source: Type.Optional(
      Type.Object(
        {
          run: Type.Optional(Type.String({ maxLength: 256 })),
          dataset: Type.Optional(Type.String({ maxLength: 256 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Profile of the training data (per-feature quantiles, category counts); used by drift monitoring. */
    reference: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** True when Berth derived this card from the graph because none was given. */
    derived: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ModelCard = Static<typeof ModelCard>;

/** Columns a tabular input occupies once encoded: one per number, one per category value (one-hot) or one (index). */
export function encodedWidth(features: readonly Feature[]): number {
  return features.reduce(
    (sum, f) => sum + (f.type === 'category' && (f.encoding ?? 'onehot') === 'onehot' ? f.values.length : 1),
    0,
  );
}
