/** A tiny driver for a private tmux server: a real pseudo-terminal for end-to-end TUI tests. */
import { execFileSync } from 'node:child_process';

/** One tmux server on its own socket (never touches the user's sessions). */
export class Tmux {
  private readonly socket = `headstart-cli-test-${process.pid}-${Date.now()}`;

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Starts `command` (a shell line) in a detached session of the given size; the pane stays after exit. */
  start(session: string, command: string, width = 120, height = 40): void {
    this.tmux(['new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), `${command}; echo "[exit $?]"; sleep 300`]);
  }

  /** The screen plus scrollback, as plain text. */
  screen(session: string): string {
    return this.tmux(['capture-pane', '-p', '-J', '-S', '-3000', '-t', session]);
  }

  /** Sends keys (tmux key names or literal text). */
  keys(session: string, ...keys: string[]): void {
    this.tmux(['send-keys', '-t', session, ...keys]);
  }

  /** Resizes the session's window (the program gets SIGWINCH). */
  resize(session: string, width: number, height: number): void {
    this.tmux(['resize-window', '-t', session, '-x', String(width), '-y', String(height)]);
  }

  /** The visible screen only (no scrollback). */
  visible(session: string): string {
    return this.tmux(['capture-pane', '-p', '-t', session]);
  }

  /** Polls the screen until `pattern` matches; throws with the last screen on timeout. */
  async waitFor(session: string, pattern: RegExp, timeoutMs: number, visibleOnly = false): Promise<RegExpMatchArray> {
    const end = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = visibleOnly ? this.visible(session) : this.screen(session);
      const m = last.match(pattern);
      if (m) return m;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} on screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Ends this test's tmux server (and the processes it started). */
  close(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone: nothing was left running
    }
  }
}
