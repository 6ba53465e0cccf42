// kafkajs's RequestQueue with scheduleCheckPendingRequests replaced (libs/bus/src/kafka-request-queue.ts):
// no timer while nothing waits and nothing throttles; a waiting request is still sent, after
// kafkajs's 10 ms or at the throttle's end.
import t from 'tap';
import type { Test } from 'tap';
import { KafkaRequestQueueClass } from '../../bus/src/kafka-request-queue.js';
import type { KafkaRequestQueue } from '../../bus/src/kafka-request-queue.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

type Queue = KafkaRequestQueue & { inflight: Map<number, unknown>; destroy(): void };

function queue(t: Test): Queue {
  const q = new KafkaRequestQueueClass({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'localhost:0', logger: silent }) as Queue;
  t.teardown(() => { q.destroy(); });
  return q;
}

/** A pending request as checkPendingRequests sends it; resolves `sent` with when it was sent. */
function waiting(correlationId: number): { request: object; sent: Promise<number> } {
  let done: (at: number) => void = () => undefined;
  const sent = new Promise<number>((resolve) => { done = resolve; });
  return { request: { correlationId, expectResponse: true, send: () => { done(Date.now()); } }, sent };
}

t.test('nothing waiting, no throttle: no timer is armed (kafkajs armed one with a negative delay, again and again)', async (t) => {
  const q = queue(t);
  q.checkPendingRequests(); // what every received response does
  t.equal(q.throttleCheckTimeoutId, null);
  q.throttledUntil = Date.now() - 1_000; // a throttle that has ended
  q.scheduleCheckPendingRequests();
  t.equal(q.throttleCheckTimeoutId, null);
});

t.test('a request waiting behind the in-flight limit is checked again after 10 ms, and sent once room is made', async (t) => {
  const q = queue(t);
  q.inflight.set(1, {}); // the one request allowed in flight
  const { request, sent } = waiting(2);
  q.pending.push(request);
  const from = Date.now();
  q.scheduleCheckPendingRequests();
  t.not(q.throttleCheckTimeoutId, null, 'a timer is armed');
  q.inflight.delete(1);
  const at = await sent;
  t.ok(at - from >= 5, `sent by the timer, after ${at - from} ms`);
  t.same(q.pending, []);
});

t.test('throttled: the check is armed for the throttle\'s end, waiting or not', async (t) => {
  const q = queue(t);
  q.throttledUntil = Date.now() + 60;
  q.scheduleCheckPendingRequests();
  t.not(q.throttleCheckTimeoutId, null, 'armed with nothing waiting, as kafkajs does');
  const { request, sent } = waiting(3);
  q.pending.push(request);
  q.scheduleCheckPendingRequests(); // one timer at a time
  const at = await sent;
  t.ok(at >= q.throttledUntil, 'not sent before the throttle ends');
  t.equal(q.throttleCheckTimeoutId, null, 'and nothing re-armed afterwards');
});
