export { buildHttpApp } from './http.js';
export type { HealthChecks } from './http.js';
export { processorMetrics } from './processor-metrics.js';
export type { ProcessorMetrics } from './processor-metrics.js';
