import { messageOf } from '../../errors/src/index.js';

/**
 * A bounded queue from a push producer (a kafkajs eachBatch callback) to a pull consumer (an
 * async iterator): push waits while `capacity` items are buffered, which holds the fetch loop back.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #ended = false;
  #error: Error | undefined;
  #wakeReader: (() => void) | undefined;
  #wakeWriters: (() => void)[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  async push(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#ended) {
      await new Promise<void>((resolve) => this.#wakeWriters.push(resolve));
    }
    if (this.#ended) return;
    this.#items.push(item);
    this.#wake();
  }

  /** No more items: the reader ends after draining (or throws `error` once drained). */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error === undefined || error instanceof Error ? error : new Error(messageOf(error));
    this.#wake();
    for (const wake of this.#wakeWriters.splice(0)) wake();
  }

  #wake(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        this.#wakeWriters.shift()?.();
        yield item;
        continue;
      }
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => { this.#wakeReader = resolve; });
    }
  }
}
