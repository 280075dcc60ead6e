import Type, { type Static } from 'typebox';

/** A variant: a version (or an alias resolved when the test starts) and its share of the test's traffic. */
export const VariantSpec = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$', description: 'Its name in results (default A, B, C, ...).' }),
    version: Type.Integer({ minimum: 1 }),
    weight: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);
export type VariantSpec = Static<typeof VariantSpec>;

export const ShadowSpec = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    share: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Share of the test traffic mirrored to this version.' }),
  },
  { additionalProperties: false },
);
export type ShadowSpec = Static<typeof ShadowSpec>;

export const GuardrailSpec = Type.Object(
  {
    metric: Type.Union([Type.Literal('error_rate'), Type.Literal('latency_p99_ms')]),
    threshold: Type.Number({ minimum: 0 }),
    window_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 60 })),
    min_requests: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type GuardrailSpec = Static<typeof GuardrailSpec>;

/** Everything about a test that routing and analysis read; stored as JSON beside its lifecycle columns. */
export const AbTestSpec = Type.Object(
  {
    variants: Type.Array(VariantSpec, { minItems: 2, maxItems: 20, description: 'The first variant is the control.' }),
    coverage: Type.Number({ minimum: 0, maximum: 1, description: 'Share of subjects in the test (the rest get the default routing).' }),
    seed: Type.String({ minLength: 1, maxLength: 128 }),
    segment: Type.Optional(Type.String({ maxLength: 2000, description: "Who is eligible, e.g. `age in [65, 85] and region in [north, south]`." })),
    shadows: Type.Array(ShadowSpec, { maxItems: 5 }),
    guardrails: Type.Array(GuardrailSpec, { maxItems: 10 }),
    primary_metric: Type.String({ minLength: 1, maxLength: 128, description: 'The metric that decides (an outcome metric, or `accuracy` from feedback).' }),
    higher_is_better: Type.Boolean(),
    min_samples_per_arm: Type.Integer({ minimum: 1 }),
    min_duration_hours: Type.Number({ minimum: 0 }),
    alpha: Type.Number({ exclusiveMinimum: 0, maximum: 0.5 }),
    /** Variants paused by a guardrail (their traffic goes to the control), with why. */
    paused_variants: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: false },
);
export type AbTestSpec = Static<typeof AbTestSpec>;

export const CreateAbTest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 250, pattern: '^[A-Za-z0-9_.-]+$' }),
    model: Type.String({ minLength: 1, maxLength: 250 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    variants: Type.Array(
      Type.Object(
        {
          key: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' })),
          version: Type.Optional(Type.Integer({ minimum: 1 })),
          alias: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          weight: Type.Number({ minimum: 0, maximum: 1 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 2, maxItems: 20 },
    ),
    coverage: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    seed: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Keep a previous system’s assignments by reusing its seed; generated when absent.' })),
    segment: Type.Optional(Type.String({ maxLength: 2000 })),
    shadows: Type.Optional(Type.Array(ShadowSpec, { maxItems: 5 })),
    guardrails: Type.Optional(Type.Array(GuardrailSpec, { maxItems: 10 })),
    primary_metric: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    higher_is_better: Type.Optional(Type.Boolean()),
    min_samples_per_arm: Type.Optional(Type.Integer({ minimum: 1 })),
    min_duration_hours: Type.Optional(Type.Number({ minimum: 0 })),
    alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5 })),
  },
  { additionalProperties: false },
);
export type CreateAbTest = Static<typeof CreateAbTest>;

export type AbTestStatus = 'draft' | 'running' | 'paused' | 'stopped';

export interface AbTestView {
  name: string;
  model: string;
  status: AbTestStatus;
  description: string;
  phase: number;
  winner: string | null;
  spec: AbTestSpec;
  phases: Array<{ phase: number; seed: string; coverage: number; weights: number[]; started_at: string; ended_at: string | null }>;
  created_by: string;
  created_at: string;
  started_at: string | null;
  stopped_at: string | null;
}
