import type { ObjectStore } from '../../objectstore/src/index.js';

/**
 * Warehouse checkpoints per partition, kept in the object store and written BEFORE the Kafka
 * commit they belong to (kafkajs cannot attach metadata to a commit). Each entry is keyed by the
 * Kafka offset it was taken at; on assignment the entry matching the committed offset is restored,
 * so a crash between the two writes leaves an entry that is simply never matched.
 */
export class CheckpointStore {
  readonly #store: ObjectStore;
  readonly #prefix: string;
  static readonly KEEP = 20;

  constructor(store: ObjectStore, groupId: string) {
    this.#store = store;
    this.#prefix = `checkpoints/${groupId}`;
  }

  #key(topic: string, partition: number): string { return `${this.#prefix}/${topic}-${partition}.json`; }

  async #read(topic: string, partition: number): Promise<{ offset: string; warehouse: string }[]> {
    const key = this.#key(topic, partition);
    if (!(await this.#store.head(key))) return [];
    return (JSON.parse(new TextDecoder().decode(await this.#store.get(key))) as { entries: { offset: string; warehouse: string }[] }).entries;
  }

  async save(topic: string, partition: number, offset: string, warehouse: string): Promise<void> {
    const entries = [...(await this.#read(topic, partition)).filter((e) => e.offset !== offset), { offset, warehouse }].slice(-CheckpointStore.KEEP);
    await this.#store.put(this.#key(topic, partition), new TextEncoder().encode(JSON.stringify({ entries })), { contentType: 'application/json' });
  }

  async find(topic: string, partition: number, offset: string | undefined): Promise<string | undefined> {
    if (offset === undefined) return undefined;
    return (await this.#read(topic, partition)).find((e) => e.offset === offset)?.warehouse;
  }
}
