/**
 * Keeps libraries from installing process-wide crash handlers. The tfjs wasm backend's
 * emscripten module adds `process.on('uncaughtException', e => { throw e })` and
 * `process.on('unhandledRejection', r => { throw r })` when it initialises
 * (tf-backend-wasm.node.js, the `ENVIRONMENT_IS_NODE` block of the module factory): a
 * rejected promise then dies as exit 7 printing minified wasm glue instead of reaching the
 * application's own handler.
 */

type Listener = (...args: unknown[]) => void;
const listeners = (): { uncaught: Listener[]; rejection: Listener[] } => ({
  uncaught: process.listeners('uncaughtException') as Listener[],
  rejection: process.listeners('unhandledRejection') as Listener[],
});

/** Runs `fn` and removes every uncaughtException/unhandledRejection listener it added. */
export async function withoutForeignCrashHandlers<T>(fn: () => Promise<T>): Promise<T> {
  const before = listeners();
  try {
    return await fn();
  } finally {
    const after = listeners();
    for (const l of after.uncaught) if (!before.uncaught.includes(l)) process.removeListener('uncaughtException', l);
    for (const l of after.rejection) if (!before.rejection.includes(l)) process.removeListener('unhandledRejection', l);
  }
}
