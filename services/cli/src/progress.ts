/**
 * A one-line progress display on a TTY (stderr), redrawn at most every 100 ms; off elsewhere,
 * where the JSON logs say the same.
 */
export function progressLine(enabled: boolean): { update(text: string): void; done(): void } {
  let last = 0;
  let shown = false;
  return {
    update(text) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[2K${text}`);
    },
    done() { if (shown) process.stderr.write('\r\x1b[2K'); },
  };
}

export function formatRate(bytes: number, seconds: number): string {
  return `${(bytes / 1e6 / Math.max(seconds, 1e-9)).toFixed(1)} MB/s`;
}
