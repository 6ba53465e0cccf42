// kafkajs 2.2.4's RequestQueue (kafkajs/src/network/requestQueue, one per broker connection)
// arms a timer after every response it receives, with the delay `throttledUntil - Date.now()`.
// With no throttle in force that is -1 - now: a negative delay, which Node runs after 1 ms (and,
// from Node 24, warns about with TimeoutNegativeWarning). The timer checks the empty queue and
// arms itself again, so every connection polls every millisecond for as long as it lives
// (kafkajs issues #1704 and #1751, open upstream). This module replaces that one method: a timer
// is armed only while a request waits (at the throttle's end, else after kafkajs's 10 ms) or a
// throttle is in force. With nothing waiting, the next request pushed or response received checks
// the queue, as kafkajs's own comment on the method says. The patch is on the class's prototype
// (the module require's cache gives kafkajs too), so queues made before it was imported have it too.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** kafkajs's RequestQueue module (kafkajs 2.x), whose scheduleCheckPendingRequests this module replaces. */
export const KAFKAJS_REQUEST_QUEUE_MODULE = join(dirname(require.resolve('kafkajs/package.json')), 'src', 'network', 'requestQueue', 'index.js');

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL: how soon a waiting request is looked at again, unthrottled. */
const CHECK_PENDING_MS = 10;

/** The RequestQueue fields the method reads and writes. */
export interface KafkaRequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

if (!existsSync(KAFKAJS_REQUEST_QUEUE_MODULE)) {
  throw new Error(`${KAFKAJS_REQUEST_QUEUE_MODULE} is missing: kafkajs moved its RequestQueue; libs/bus/src/kafka-request-queue.ts must follow`);
}
const RequestQueue = require(KAFKAJS_REQUEST_QUEUE_MODULE) as { prototype: KafkaRequestQueue };
const proto = RequestQueue.prototype;
const PATCHED = Symbol.for('taxi-stream.kafka-request-queue');
if (typeof proto.scheduleCheckPendingRequests !== 'function' || typeof proto.checkPendingRequests !== 'function') {
  throw new Error(`${KAFKAJS_REQUEST_QUEUE_MODULE} has no scheduleCheckPendingRequests/checkPendingRequests: libs/bus/src/kafka-request-queue.ts must follow kafkajs`);
}

if (!(PATCHED in proto)) {
  Object.defineProperty(proto, PATCHED, { value: true });
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: KafkaRequestQueue): void {
    if (this.throttleCheckTimeoutId) return; // one is armed: it re-arms as needed when it runs
    const throttledFor = this.throttledUntil - Date.now();
    if (this.pending.length === 0 && throttledFor <= 0) return; // nothing waits, nothing throttles
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, throttledFor > 0 ? throttledFor : CHECK_PENDING_MS);
  };
}

/** kafkajs's RequestQueue class, patched (for tests). */
export const KafkaRequestQueueClass = RequestQueue as unknown as new (options: Record<string, unknown>) => KafkaRequestQueue;
