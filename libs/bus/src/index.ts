export { kafkaBus } from './kafka.js';
export { memoryBus } from './memory.js';
export { kafkaBusOptionsSchema } from './options.js';
export type { KafkaBusOptions } from './options.js';
export { partitionForKey } from './partitioner.js';
export type { Bus, BusMessage, BusTransaction, MessagePosition, OffsetRange, OutgoingMessage, PartitionBounds, TopicSpec } from './types.js';
export type { AssignedPartition, GroupConsumer, GroupHandlers, PartitionLag } from './group-consumer.js';
export { kafkaGroupConsumer } from './kafka-consumer.js';
export type { KafkaGroupOptions } from './kafka-consumer.js';
