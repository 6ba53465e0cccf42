// Composition: builds the adapters a command needs from the validated config. Only services wire.
// The cloud adapters are imported when configured: their clients (the Google Cloud libraries and
// their protobufs) take a few hundred milliseconds to load.
import type { Logger } from 'pino';
import { kafkaBus, memoryBus } from '../../../libs/bus/src/index.js';
import type { Bus } from '../../../libs/bus/src/index.js';
import { loadConfig } from '../../../libs/config/src/index.js';
import type { ServiceConfig } from '../../../libs/config/src/index.js';
import { AppError } from '../../../libs/errors/src/index.js';
import { localDirObjectStore } from '../../../libs/objectstore/src/local-dir.js';
import type { ObjectStore } from '../../../libs/objectstore/src/index.js';
import { tlcFileName } from '../../../libs/schema/src/month.js';
import type { MonthRef } from '../../../libs/schema/src/month.js';
import { httpSource, localFileSource } from '../../../libs/source/src/index.js';
import type { Source } from '../../../libs/source/src/index.js';
import { duckDbWarehouseOnThread } from '../../../libs/warehouse/src/duckdb-thread.js';
import type { Warehouse } from '../../../libs/warehouse/src/index.js';

/** A service config whose bus is Kafka. */
export type KafkaServiceConfig = Readonly<ServiceConfig> & { readonly bus: { readonly kind: 'kafka'; readonly kafka: NonNullable<ServiceConfig['bus']['kafka']> } };

/**
 * The config of a command that needs Kafka: the file (`--config` or TAXI_CONFIG), the environment,
 * and `--brokers` (which sets bus.kind=kafka). Without Kafka it stops with a usage error saying
 * `taxi <command> <why>` and how to give the brokers, then `hint`.
 */
export function loadKafkaConfig(command: string, flags: { readonly config?: string | undefined; readonly brokers?: string | undefined }, why: string, hint?: string): KafkaServiceConfig {
  const config = loadConfig({ file: flags.config, overrides: flags.brokers ? { bus: { kind: 'kafka', kafka: { brokers: flags.brokers } } } : {} });
  if (config.bus.kind !== 'kafka' || !config.bus.kafka) {
    throw new AppError('TAXI_ERR_CLI_USAGE', `taxi ${command} ${why}: give --brokers (or TAXI__BUS__KIND=kafka and TAXI__BUS__KAFKA__BROKERS)${hint === undefined ? '' : `; ${hint}`}`);
  }
  return config as KafkaServiceConfig;
}

export function buildBus(config: Readonly<ServiceConfig>, log: Logger): Bus {
  if (config.bus.kind === 'kafka' && config.bus.kafka) return kafkaBus(config.bus.kafka, log.child({ component: 'bus' }));
  return memoryBus();
}

export async function buildStore(config: Readonly<ServiceConfig>): Promise<ObjectStore> {
  if (config.objectStore.kind === 'gcs' && config.objectStore.gcs) return (await import('../../../libs/objectstore/src/gcs.js')).gcsObjectStore(config.objectStore.gcs);
  return localDirObjectStore(config.objectStore.local);
}

export async function buildWarehouse(config: Readonly<ServiceConfig>): Promise<Warehouse> {
  if (config.warehouse.kind === 'bigquery' && config.warehouse.bigquery) return (await import('../../../libs/warehouse/src/bigquery.js')).bigQueryWarehouse(config.warehouse.bigquery);
  return duckDbWarehouseOnThread(config.warehouse.duckdb);
}

/**
 * `--source PATH` reads a local file; `--source URL` downloads from that URL's folder, which must be
 * on an allowed host (source.http.allowedHosts) and name the month's own file; no flag: the
 * configured base URL (the TLC's by default).
 */
export function buildSource(config: Readonly<ServiceConfig>, ref: MonthRef, source: string | undefined): Source {
  if (source === undefined) return httpSource(config.source.http);
  if (!/^https?:\/\//.test(source)) return localFileSource({ path: source });
  const url = new URL(source);
  const fileName = url.pathname.split('/').at(-1) ?? '';
  if (fileName !== '' && fileName !== tlcFileName(ref)) {
    throw new AppError('TAXI_ERR_CLI_USAGE', `--source ${source} should name ${tlcFileName(ref)} (or be its folder), got ${fileName}`);
  }
  return httpSource({ ...config.source.http, baseUrl: new URL('.', url).href });
}
