export { Registry, assertModelName, assertAliasName, targetStack, type RegistryOptions, type RegisterVersionInput, type VersionSelector } from './registry.js';
export { ModelCard, CardInput, CardOutput, Feature, TensorDtype, encodedWidth } from './card.js';
export { checkCardAgainstGraph, deriveCard } from './card-check.js';
export { readGraphSignature, type GraphSignature, type TensorSignature } from './onnx-graph.js';
export * from './types.js';
