/** Mounts the Ink dashboard on a TTY: subscribes to the store, follows resizes, maps `q`/Ctrl-C to stop. */
import { render, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useState, useSyncExternalStore, type ReactElement } from 'react';
import type { CliIo } from '../io.ts';
import type { DashboardStore } from './store.ts';
import { Dashboard } from './view.tsx';

/** Terminal width, updated on resize. */
function useColumns(): number {
  const { stdout } = useStdout();
  const [columns, setColumns] = useState(stdout.columns || 100);
  useEffect(() => {
    const onResize = (): void => setColumns(stdout.columns || 100);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return columns;
}

function Keys({ onStop }: { onStop: () => void }): null {
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onStop();
  });
  return null;
}

function LiveDashboard({ store, onStop }: { store: DashboardStore; onStop: () => void }): ReactElement {
  const state = useSyncExternalStore(store.subscribe, store.getState);
  const width = useColumns();
  const { isRawModeSupported } = useStdin();
  const [stopping, setStopping] = useState(false);
  const stop = (): void => {
    setStopping(true);
    onStop();
  };
  return (
    <>
      {isRawModeSupported && <Keys onStop={stop} />}
      <Dashboard state={state} width={width} interactive={isRawModeSupported} stopping={stopping && state.status !== 'interrupted'} />
    </>
  );
}

/** Handle on a mounted dashboard. */
export interface LiveHandle {
  /** Renders the final frame and unmounts. */
  close(): Promise<void>;
}

/** Renders the live dashboard to `io.stdout`; `onStop` is called on `q` or Ctrl-C (repeat presses too). */
export function mountDashboard(io: CliIo, store: DashboardStore, onStop: () => void): LiveHandle {
  const instance = render(<LiveDashboard store={store} onStop={onStop} />, {
    stdout: io.stdout as NodeJS.WriteStream,
    stdin: io.stdin as NodeJS.ReadStream,
    stderr: io.stderr as NodeJS.WriteStream,
    exitOnCtrlC: false,
    patchConsole: true,
  });
  return {
    async close() {
      // Let the last state change reach the screen (Ink throttles frames), then unmount.
      await new Promise((r) => setTimeout(r, 100));
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
