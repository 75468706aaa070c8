/** A one-line progress bar for bulk work on a terminal (redrawn in place); silent elsewhere. */
export interface ProgressLine {
  update(done: number): void;
  end(): void;
}

const fmtTime = (s: number): string => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/** Draws `label ████░░ done/total  N img/s  ETA m:ss` on `out` when it is a TTY, at most 10 times a second. */
export function progressLine(out: NodeJS.WritableStream & { isTTY?: boolean }, label: string, total: number, startDone = 0): ProgressLine {
  const tty = out.isTTY === true;
  const t0 = performance.now();
  let last = 0;
  let shown = false;
  return {
    update(done) {
      if (!tty) return;
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const rate = (done - startDone) / Math.max(1e-3, (now - t0) / 1000);
      const width = 24;
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      const eta = rate > 0 ? fmtTime((total - done) / rate) : '?';
      out.write(`\r${label} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total}  ${rate.toFixed(0)} img/s  ETA ${eta}\x1b[K`);
      shown = true;
    },
    end() {
      if (shown) out.write('\n');
    },
  };
}
