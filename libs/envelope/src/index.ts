export { checksumOf, decodeEnvelope, encodeEnvelope, ENVELOPE_VERSION } from './envelope-v1.js';
export type { EnvelopeV1 } from './envelope-v1.js';
export { iterateSlices, sliceTable } from './slice.js';
export type { Slice } from './slice.js';
