export { REJECT_REASONS } from './reasons.js';
export type { RejectReason } from './reasons.js';
export { transformBatch, transformTable } from './transform.js';
export type { Reject, TransformContext, TransformResult } from './transform.js';
export { loadZones, parseZones, readZones, SHIPPED_ZONES_CSV } from './zones.js';
export type { Zones } from './zones.js';
