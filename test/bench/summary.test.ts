// The headline a run's medians give: our time against each baseline (DuckDB doing taxi run's
// whole job among them), and the targets computed from those figures alone.
import t from 'tap';
import { headline } from '../../bench/lib/summary.js';
import type { ScopeFigures, ScopeOutcome } from '../../bench/lib/report.js';

const figures = (wallSeconds: number, extra: Record<string, number> = {}): ScopeFigures => ({
  status: 'ok', what: '', runs: 1, wallSeconds, cpuSeconds: wallSeconds, rowsPerSec: 1000 / wallSeconds, peakRssBytes: 2 ** 30, extra, notes: [], samples: [],
});
const rejected = { 'rejected.zero_distance': 7, 'rejected.bad_location': 3 };

t.test('DuckDB doing taxi run\'s whole job: its seconds, its ratio to ours, its kept rows, and beside the embedded target', async (t) => {
  const scopes: Record<string, ScopeOutcome> = {
    embedded: figures(9, { rowsWritten: 990, ...rejected }),
    'baseline-pandas': figures(2, { rowsKept: 1000 }),
    'baseline-duckdb': figures(3, { rowsKept: 990, ...rejected }),
    'baseline-duckdb-embedded': figures(6, { rowsKept: 989, 'rejected.zero_distance': 8, 'rejected.bad_location': 3 }),
  };
  const h = headline(scopes);
  t.equal(h.duckdbSeconds, 3);
  t.equal(h.duckdbEmbeddedSeconds, 6);
  t.equal(h.ratios.duckdbEmbeddedOverOurs, 6 / 9);
  t.equal(h.keptRows.duckdbEmbedded, 989);
  t.ok(h.keptRows.notes.includes('duckdb: the same kept rows as taxi run (990) and the same rejects, reason by reason'));
  t.ok(h.keptRows.notes.some((n) => n.startsWith('duckdb-embedded: -1 kept rows against taxi run') && n.includes('zero_distance (8 vs ours 7)')), 'a difference is named');
  const embedded = h.targets[0]!;
  t.equal(embedded.met, false);
  t.equal(embedded.measured, 'taxi run 9.0 s, Pandas 2.0 s; DuckDB doing taxi run\'s whole job 6.0 s');
});

t.test('without that baseline, the target says only what was measured', async (t) => {
  const h = headline({ embedded: figures(1.5, { rowsWritten: 990 }), 'baseline-pandas': figures(2, { rowsKept: 1000 }), 'baseline-duckdb-embedded': { status: 'failed', what: '', error: 'x' } });
  t.equal(h.duckdbEmbeddedSeconds, null);
  t.equal(h.ratios.duckdbEmbeddedOverOurs, null);
  t.same(h.targets[0], { goal: 'embedded (taxi run) no slower than the old Pandas job', measured: 'taxi run 1.5 s, Pandas 2.0 s', met: true });
});
