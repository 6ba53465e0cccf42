import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * The continuous ingestor's metrics (Prometheus names: taxi_<stage>_<thing>_<unit>). Labels come
 * from small sets only: service, reason (an error code), outcome.
 */
export interface IngestorMetrics {
  readonly monthsIngested: Counter<'service'>;
  readonly monthFailures: Counter<'service' | 'reason'>;
  readonly rowsIngested: Counter<'service'>;
  readonly sourceBytes: Counter<'service'>;
  readonly cycleSeconds: Histogram<'outcome'>;
  readonly lastSuccess: Gauge;
  readonly monthsPending: Gauge;
  readonly monthsFailing: Gauge;
}

export function ingestorMetrics(registry: Registry): IngestorMetrics {
  const registers = [registry];
  return {
    monthsIngested: new Counter({ name: 'taxi_ingestor_months_ingested_total', help: 'Months ingested (committed with their manifest record) by this process', labelNames: ['service'], registers }),
    monthFailures: new Counter({ name: 'taxi_ingestor_month_failures_total', help: 'Months whose HEAD or ingest failed, by error code', labelNames: ['service', 'reason'], registers }),
    rowsIngested: new Counter({ name: 'taxi_ingestor_rows_ingested_total', help: 'Rows of the months ingested', labelNames: ['service'], registers }),
    sourceBytes: new Counter({ name: 'taxi_ingestor_source_bytes_total', help: 'Bytes of the source files ingested', labelNames: ['service'], registers }),
    cycleSeconds: new Histogram({ name: 'taxi_ingestor_cycle_duration_seconds', help: 'One discovery cycle: read the manifest, HEAD the candidates, ingest the published ones; outcome ok, partial (some month failed) or failed',
      labelNames: ['outcome'], registers, buckets: [0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200] }),
    lastSuccess: new Gauge({ name: 'taxi_ingestor_last_success_timestamp_seconds', help: 'End of the last cycle that ingested every published month (Unix seconds); 0 before the first', registers }),
    monthsPending: new Gauge({ name: 'taxi_ingestor_months_pending', help: 'Months published at the source and not yet ingested, as of the current cycle', registers }),
    monthsFailing: new Gauge({ name: 'taxi_ingestor_months_failing', help: 'Months whose last attempt failed and that are not in the manifest', registers }),
  };
}
