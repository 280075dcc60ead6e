import Type from 'typebox';

/** Schemas shared by every route plugin: the error body and common parameters. */

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. invalid_input, not_found, conflict.' }),
      message: Type.String({ description: 'What went wrong, naming the field, the expectation and the value found.' }),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'ErrorResponse', description: 'Every 4xx and 5xx answer of /v1 has this shape.' },
);

export const errorResponses = {
  400: Type.Ref('ErrorResponse'),
  401: Type.Ref('ErrorResponse'),
  403: Type.Ref('ErrorResponse'),
  404: Type.Ref('ErrorResponse'),
  409: Type.Ref('ErrorResponse'),
  413: Type.Ref('ErrorResponse'),
  422: Type.Ref('ErrorResponse'),
};

export const ModelParams = Type.Object({ name: Type.String({ description: 'Model name.' }) });
export const VersionParams = Type.Object({
  name: Type.String(),
  version: Type.Integer({ minimum: 1, description: 'Version number.' }),
});
