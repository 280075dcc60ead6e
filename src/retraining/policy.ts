import Type, { type Static } from 'typebox';

/**
 * A model's retraining policy: what may trigger a retraining, what limits how often, how the
 * challenger is trained and judged, and what happens when it wins. Declared once: validation, types
 * and the API document use it.
 */
export const RetrainPolicy = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Default true. A disabled policy still allows `berth retrain NAME`.' })),
    data: Type.Object(
      {
        reference: Type.String({ minLength: 1, maxLength: 1024, description: 'Training data (CSV) the labelled production rows are added to; relative to the Berth home.' }),
        label: Type.String({ minLength: 1, maxLength: 250 }),
      },
      { additionalProperties: false },
    ),
    triggers: Type.Object(
      {
        feedback: Type.Optional(Type.Object({ min_labels: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })),
        files: Type.Optional(
          Type.Object(
            {
              dirs: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 20 }),
              patterns: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 20 })),
            },
            { additionalProperties: false },
          ),
        ),
        accuracy_drop: Type.Optional(
          Type.Object(
            { min_drop: Type.Number({ exclusiveMinimum: 0, maximum: 1 }), window_hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 90 })), min_labels: Type.Optional(Type.Integer({ minimum: 1 })) },
            { additionalProperties: false },
          ),
        ),
        drift: Type.Optional(Type.Object({ min_share: Type.Number({ exclusiveMinimum: 0, maximum: 1 }), window_hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 90 })) }, { additionalProperties: false })),
        age: Type.Optional(Type.Object({ max_days: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false })),
      },
      { additionalProperties: false },
    ),
    constraints: Type.Optional(
      Type.Object(
        {
          min_hours_between: Type.Optional(Type.Number({ minimum: 0 })),
          max_per_day: Type.Optional(Type.Integer({ minimum: 1 })),
          approval_required: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    train: Type.Optional(
      Type.Object(
        {
          algo: Type.Optional(Type.Union([Type.Literal('logreg'), Type.Literal('mlp')])),
          seeds: Type.Optional(Type.Array(Type.Integer(), { minItems: 1, maxItems: 20 })),
          valid_split: Type.Optional(Type.Number({ minimum: 0, maximum: 0.9 })),
        },
        { additionalProperties: false },
      ),
    ),
    compare: Type.Optional(
      Type.Object(
        {
          metric: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          min_delta: Type.Optional(Type.Number({ minimum: 0 })),
          min_relative: Type.Optional(Type.Number({ minimum: 0 })),
          guardrails: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.Number({ minimum: 0 }))),
        },
        { additionalProperties: false },
      ),
    ),
    /** What a better challenger gets: moved to production, or an A/B test against the champion. */
    action: Type.Optional(Type.Union([Type.Literal('promote'), Type.Literal('abtest')])),
    /** After a promotion: a CRITICAL alert on the new version within this many hours rolls it back. */
    watch_hours: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 30 })),
    /** A pipeline file to run instead of the built-in retraining pipeline (it receives the params it declares). */
    pipeline: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type RetrainPolicy = Static<typeof RetrainPolicy>;

export type TriggerKind = 'feedback' | 'files' | 'accuracy_drop' | 'drift' | 'age' | 'manual';

export const DEFAULT_WATCH_HOURS = 24;
