/** `headstart worker` child processes for queue tests: JSON-line events parsed as they come. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/headstart.js', import.meta.url));

/** One worker event (its JSON log line). */
export interface WorkerEvent {
  event: string;
  job?: string;
  kind?: string;
}

/** A running worker process and the events it logged so far. */
export interface WorkerProc {
  proc: ChildProcess;
  events: WorkerEvent[];
  exited: Promise<number | null>;
}

/** Starts `headstart worker --queue url --threads 1` with short locks; `onEvent` sees every event as it is logged. */
export function startWorker(url: string, onEvent: (w: WorkerProc, e: WorkerEvent) => void = () => undefined): WorkerProc {
  // Locks of 6 s: short enough for a quick test, long enough for lock renewal on a loaded 2-core CI machine.
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--threads', '1', '--lock-ms', '6000', '--stalled-ms', '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const w: WorkerProc = { proc, events: [], exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const e = JSON.parse(line) as WorkerEvent;
      w.events.push(e);
      onEvent(w, e);
    }
  });
  return w;
}
