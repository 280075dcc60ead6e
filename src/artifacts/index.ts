export { artifactUri, SHA256_HEX, type ArtifactStore, type StoredArtifact } from './artifact-store.js';
export { LocalArtifactStore } from './local/local-artifact-store.js';
