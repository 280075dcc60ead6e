export { Registry, assertModelName, assertAliasName, targetStack, type RegistryOptions, type RegisterVersionInput, type VersionSelector } from './registry.js';
export { ModelCard, CardInput, CardOutput, Feature, TensorDtype, TabularInput, ImageInput, TensorInput, encodedWidth } from './card.js';
export { checkCardAgainstGraph, deriveCard } from './card-check.js';
export { readGraphSignature, isFixedDim, type GraphSignature, type TensorSignature } from './onnx-graph.js';
export * from './types.js';
