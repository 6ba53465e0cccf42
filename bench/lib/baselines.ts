// The baselines: the same month through Python tools, each in a child measured as our scopes are
// (bench/baselines/*.py, in the venv of python-venv.ts). `pandas` is the old flow's job (read, add
// Load_dt and Total_squared, write), as it ran; `pandas-vectorised` is that job with its one slow
// line (a list comprehension) vectorised, to show what the line cost; `duckdb` and `polars` are
// libs/transform's cleaning transform, from a spec written here out of the TypeScript constants
// (clean_spec.py says how); `duckdb-embedded` is the whole of `taxi run`'s job in DuckDB: that
// cleaning, the kept rows to Parquet and into a table of the warehouse's own schema in a database
// file, the rejected rows with their reason to a JSON-lines file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROCESSED_FIELDS } from '../../libs/schema/src/processed.js';
import { MAX_DISTANCE_MILES, MAX_DURATION_S, MAX_SPEED_MPH, REJECT_REASONS } from '../../libs/transform/src/reasons.js';
import { SERVICE_COLUMNS } from '../../libs/transform/src/service-map.js';
import { SHIPPED_ZONES_CSV } from '../../libs/transform/src/zones.js';
import { duckDbWarehouseOptionsSchema, newTableSql } from '../../libs/warehouse/src/duckdb.js';
import { runMeasured } from './child.js';
import { cleanEnv } from './env.js';
import { baselineVenv } from './python-venv.js';
import type { RunResult, Scope, ScopeContext } from './types.js';

export type Engine = 'pandas' | 'pandas-vectorised' | 'duckdb' | 'duckdb-embedded' | 'polars';

const SCRIPTS: Readonly<Record<Engine, string>> = {
  pandas: 'old_pandas_job.py', 'pandas-vectorised': 'old_pandas_job.py', duckdb: 'clean_duckdb.py', 'duckdb-embedded': 'clean_duckdb.py', polars: 'clean_polars.py',
};
/** The processed Parquet sink's row group (libs/sinks parquet-sink.ts default); its codec is ZSTD too. */
const ROW_GROUP_ROWS = 262_144;

const WHAT: Readonly<Record<Engine, string>> = {
  pandas: 'the old flow\'s Pandas job as it ran: pandas.read_parquet, add Load_dt and Total_squared (a list comprehension over total_amount), to_parquet (Pandas defaults: pyarrow, Snappy); no cleaning, every row kept',
  'pandas-vectorised': 'the old flow\'s Pandas job with Total_squared vectorised (total_amount ** 2): not the job that ran, but what mending its one slow line would give',
  duckdb: 'libs/transform\'s cleaning transform in DuckDB (Python): reject reasons, derived columns, zone enrichment, kept rows to ZSTD Parquet, rejects counted by reason',
  'duckdb-embedded': 'taxi run\'s whole job in DuckDB (Python): the same cleaning, the kept rows to ZSTD Parquet and into a new table of the DuckDB warehouse\'s schema (its CREATE TABLE, ENUM columns included, and storage version) in a database file, checkpointed; the rejected rows with their reason to a JSON-lines file',
  polars: 'libs/transform\'s cleaning transform in Polars (lazy, sink_parquet): reject reasons, derived columns, zone enrichment, kept rows to ZSTD Parquet, rejects counted by reason',
};

interface BaselineJson { engine: string; version: string; seconds: number; rowsIn: number; rowsKept: number; rejected: Record<string, number>; outputBytes: number }

export function baselineScope(engine: Engine): Scope {
  return {
    name: `baseline-${engine}`,
    what: WHAT[engine],
    needsKafka: false,
    notes: () => [
      'wall, CPU and peak RSS of the python child (interpreter start and imports included, as the embedded scope\'s wall includes Node\'s start-up); rows/s = rows read / wall; workSeconds = the script\'s own time after its imports',
      `runs in a venv the benchmark installs from PyPI (bench/baselines/requirements.txt, cached under $TAXI_CACHE_DIR); it uses every core, as taxi run uses one transform worker per core`,
    ],
    run: (ctx) => runBaseline(ctx, engine),
  };
}

function monthBoundsMicros(month: string): [number, number] {
  const [y = 0, m = 0] = month.split('-').map(Number);
  return [Date.UTC(y, m - 1, 1) * 1000, Date.UTC(y, m, 1) * 1000];
}

/** Where the duckdb-embedded baseline writes what `taxi run` writes besides the Parquet, and the warehouse's table as its adapter creates one. */
function embeddedSpec(dir: string): Record<string, string> {
  const defaults = duckDbWarehouseOptionsSchema.parse({});
  return {
    database: join(dir, 'warehouse.duckdb'), createTable: newTableSql(defaults.table), table: defaults.table,
    storageVersion: defaults.storageVersion, deadLetters: join(dir, 'rejects.jsonl'),
  };
}

async function runBaseline(ctx: ScopeContext, engine: Engine): Promise<RunResult> {
  const venv = await baselineVenv(ctx.root, (m) => { ctx.say(m); });
  const dir = ctx.tempDir(`baseline-${engine}`);
  const [monthStartMicros, monthEndMicros] = monthBoundsMicros(ctx.source.month);
  const spec = {
    source: ctx.source.path, output: join(dir, 'out.parquet'), service: ctx.source.service, month: ctx.source.month,
    monthStartMicros, monthEndMicros, loadDtMicros: Date.now() * 1000, zonesCsv: SHIPPED_ZONES_CSV,
    columns: SERVICE_COLUMNS[ctx.source.service], fields: PROCESSED_FIELDS.map((f) => ({ name: f.name, type: f.type })),
    limits: { maxDurationS: MAX_DURATION_S, maxDistanceMiles: MAX_DISTANCE_MILES, maxSpeedMph: MAX_SPEED_MPH },
    reasons: REJECT_REASONS, rowGroupRows: ROW_GROUP_ROWS, totalSquared: engine === 'pandas-vectorised' ? 'vectorised' : 'comprehension',
    ...(engine === 'duckdb-embedded' ? { embedded: embeddedSpec(dir) } : {}),
  };
  const specPath = join(dir, 'spec.json');
  writeFileSync(specPath, JSON.stringify(spec));
  const measured = await runMeasured({
    label: `the ${engine} baseline`, command: venv.python, cwd: join(ctx.root, 'bench', 'baselines'), dir,
    args: [SCRIPTS[engine], specPath], env: cleanEnv({ PYTHONDONTWRITEBYTECODE: '1' }),
  });
  const r = JSON.parse(measured.stdout.trim().split('\n').at(-1) ?? '{}') as BaselineJson;
  if (r.rowsIn !== ctx.source.rows) throw new Error(`the ${engine} baseline read ${r.rowsIn} rows; the source has ${ctx.source.rows}`);
  return {
    wallSeconds: measured.wallSeconds, cpuSeconds: measured.cpuSeconds, peakRssBytes: measured.peakRssBytes, method: measured.method,
    rowsPerSec: r.rowsIn / measured.wallSeconds, mbPerSec: ctx.source.bytes / 1e6 / measured.wallSeconds,
    extra: {
      workSeconds: r.seconds, rowsKept: r.rowsKept, rowsRejected: r.rowsIn - r.rowsKept, outputBytes: r.outputBytes,
      ...Object.fromEntries(Object.entries(r.rejected).map(([reason, n]) => [`rejected.${reason}`, n])),
    },
  };
}
