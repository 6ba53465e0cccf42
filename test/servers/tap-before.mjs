// tap's before-hook: start the servers once for the whole run (TAXI_SERVERS=none skips them,
// for a unit-only run).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (process.env.TAXI_SERVERS !== 'none') {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync('bash', ['test/servers/up.sh', '--record', '.servers/started-by-tap'], { cwd: root, stdio: ['ignore', 2, 2] });
}
