import Type, { type Static } from 'typebox';
import { ModelCard } from './card.js';

/** What the registry returns. The REST layer uses these schemas for responses and the OpenAPI document. */

export const MODEL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
export const ALIAS_PATTERN = '^[a-z][a-z0-9_-]{0,63}$';
export const TAG_KEY_PATTERN = '^[A-Za-z0-9_./ -]{1,250}$';

export const Tags = Type.Record(Type.String({ pattern: TAG_KEY_PATTERN }), Type.String({ maxLength: 5000 }), {
  description: 'Free-form key/value tags (key up to 250 characters, value up to 5000).',
});
export type Tags = Static<typeof Tags>;

const DimSchema = Type.Union([Type.Integer(), Type.String()]);
export const TensorSignatureSchema = Type.Object({
  name: Type.String(),
  dtype: Type.String(),
  shape: Type.Array(DimSchema),
});
export const GraphSignatureSchema = Type.Object({
  inputs: Type.Array(TensorSignatureSchema),
  outputs: Type.Array(TensorSignatureSchema),
});

export const ModelView = Type.Object({
  name: Type.String(),
  description: Type.String(),
  tags: Tags,
  /** Alias name → version number. */
  aliases: Type.Record(Type.String(), Type.Integer()),
  latest_version: Type.Union([Type.Integer(), Type.Null()]),
  version_count: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type ModelView = Static<typeof ModelView>;

export const VersionStatus = Type.Union([Type.Literal('ready'), Type.Literal('archived')]);
export type VersionStatus = Static<typeof VersionStatus>;

export const VersionView = Type.Object({
  model: Type.String(),
  version: Type.Integer(),
  status: VersionStatus,
  description: Type.String(),
  sha256: Type.String(),
  size_bytes: Type.Integer(),
  artifact_uri: Type.String(),
  card: ModelCard,
  signature: GraphSignatureSchema,
  source_run: Type.Union([Type.String(), Type.Null()]),
  source_dataset: Type.Union([Type.String(), Type.Null()]),
  tags: Tags,
  aliases: Type.Array(Type.String()),
  created_by: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type VersionView = Static<typeof VersionView>;

export const AliasView = Type.Object({
  alias: Type.String(),
  version: Type.Integer(),
  updated_by: Type.String(),
  updated_at: Type.String(),
});
export type AliasView = Static<typeof AliasView>;

export const AliasAction = Type.Union([Type.Literal('set'), Type.Literal('promote'), Type.Literal('rollback'), Type.Literal('delete')]);

export const AliasHistoryEntry = Type.Object({
  id: Type.Integer(),
  alias: Type.String(),
  action: AliasAction,
  from_version: Type.Union([Type.Integer(), Type.Null()]),
  to_version: Type.Union([Type.Integer(), Type.Null()]),
  actor: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  time: Type.String(),
});
export type AliasHistoryEntry = Static<typeof AliasHistoryEntry>;

export const AliasMove = Type.Object({
  model: Type.String(),
  alias: Type.String(),
  from_version: Type.Union([Type.Integer(), Type.Null()]),
  to_version: Type.Union([Type.Integer(), Type.Null()]),
  action: AliasAction,
});
export type AliasMove = Static<typeof AliasMove>;

export const CardChange = Type.Object({
  path: Type.String({ description: 'Dotted path in the card, e.g. `outputs.0.labels.1`.' }),
  change: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
  a: Type.Optional(Type.Unknown()),
  b: Type.Optional(Type.Unknown()),
});

export const MetricComparison = Type.Object({
  name: Type.String(),
  a: Type.Union([Type.Number(), Type.Null()]),
  b: Type.Union([Type.Number(), Type.Null()]),
  delta: Type.Union([Type.Number(), Type.Null()]),
});

export const VersionComparison = Type.Object({
  model: Type.String(),
  a: Type.Object({ version: Type.Integer(), sha256: Type.String(), size_bytes: Type.Integer(), status: VersionStatus, created_at: Type.String() }),
  b: Type.Object({ version: Type.Integer(), sha256: Type.String(), size_bytes: Type.Integer(), status: VersionStatus, created_at: Type.String() }),
  same_artifact: Type.Boolean(),
  size_delta_bytes: Type.Integer(),
  same_signature: Type.Boolean(),
  metrics: Type.Array(MetricComparison),
  card_changes: Type.Array(CardChange),
});
export type VersionComparison = Static<typeof VersionComparison>;

export const DeleteModelResult = Type.Object({
  model: Type.String(),
  deleted_versions: Type.Array(Type.Integer()),
  removed_artifacts: Type.Array(Type.String()),
});
export type DeleteModelResult = Static<typeof DeleteModelResult>;
