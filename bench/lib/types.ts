import type { KafkaState } from './kafka.js';
import type { MeasureMethod } from './child.js';

/** The synthetic month every scope reads. */
export interface SourceMonth {
  readonly path: string;
  readonly service: 'yellow';
  /** YYYY-MM */
  readonly month: string;
  readonly rows: number;
  readonly rowGroups: number;
  readonly bytes: number;
  readonly seed: number;
  readonly generatorVersion: number;
}

/** One measured run of a scope. */
export interface RunResult {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly rowsPerSec: number;
  /** Source (Parquet) MB per second, MB = 10^6 bytes. */
  readonly mbPerSec?: number;
  /** Further figures of this scope (medians are taken of each). */
  readonly extra: Readonly<Record<string, number>>;
  readonly method: MeasureMethod;
}

/** The month in Kafka, for the processor scopes. */
export interface Ingested {
  readonly topics: { readonly raw: string; readonly manifest: string; readonly dlq: string };
  readonly partitions: number;
  readonly rows: number;
  readonly messages: number;
}

export interface ScopeContext {
  /** The repository root (children run there). */
  readonly root: string;
  readonly source: SourceMonth;
  readonly kafka: KafkaState;
  /** `--exit-when-idle` of `taxi process`. */
  readonly idleSeconds: number;
  readonly rawPartitions: number;
  /** A new directory, removed when the benchmark ends. */
  tempDir(prefix: string): string;
  /** A short id no earlier run used. */
  uniqueId(): string;
  /** Topics created on the broker, deleted when the benchmark ends. */
  noteTopics(names: readonly string[]): void;
  /**
   * Another synthetic yellow 2024 month, generated once and cached like the benchmark's own
   * (month 1 with `rows` = source.rows is that one).
   */
  syntheticMonth(month: number, rows: number): Promise<SourceMonth>;
  /** The month in Kafka: the ingest scope's last run, else one untimed ingest made now. */
  ingested(): Promise<Ingested>;
  noteIngested(ingested: Ingested): void;
  /** Progress on stderr. */
  say(message: string): void;
}

export interface Scope {
  readonly name: string;
  /** What one run does, for the output. */
  readonly what: string;
  readonly needsKafka: boolean;
  /** How this scope's figures are computed. */
  readonly notes: (ctx: ScopeContext) => readonly string[];
  run(ctx: ScopeContext): Promise<RunResult>;
}
