export { busDeadLetters, DEAD_LETTER_TRANSACTION_TIMEOUT_MS, fileDeadLetters } from './dead-letter.js';
export type { DeadLetter, DeadLetterSink } from './dead-letter.js';
export { checkConservation, Pipeline, wholeMessageReason } from './pipeline.js';
export type { MonthCounts, PipelineDeps } from './pipeline.js';
export type { RejectedRow, TransformTask, TransformTaskResult } from './transform-worker.js';
export { CheckpointStore } from './checkpoints.js';
export { KafkaProcessor } from './kafka-processor.js';
export type { KafkaProcessorDeps } from './kafka-processor.js';
