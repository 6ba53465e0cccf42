// tap's after-hook: stop the servers the before-hook started, and only those.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (process.env.TAXI_SERVERS !== 'none') {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync('bash', ['test/servers/down.sh', '--recorded', '.servers/started-by-tap'], { cwd: root, stdio: ['ignore', 2, 2] });
}
