export { ingestMonth, rawKey } from './ingest-month.js';
export type { IngestDeps, IngestOptions, IngestProgress, IngestResult } from './ingest-month.js';
export { decodeManifest, encodeManifest, loadManifests, manifestKey, manifestV1Schema } from './manifest-v1.js';
export type { ManifestV1, PartitionRange } from './manifest-v1.js';
export { defaultTopics, topicsSchema } from './settings.js';
export type { Topics } from './settings.js';
