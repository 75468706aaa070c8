/** The worker's side of `train --queue`: feature chunk jobs run by the trainer's own code (loaded on the first such job). */
import type { PrefixSessions } from '@headstart/trainer';

/** Feature chunk processing of one worker: prefix sessions kept open across chunks, fetched from Redis by hash. */
export interface FeatureChunks {
  process(data: unknown): Promise<{ result: unknown; items: number }>;
  dispose(): Promise<void>;
}

/** Lazily loads TF.js and the trainer on the first feature chunk, so predict-only workers never pay for it. */
export function featureChunks(url: string, threads: number): FeatureChunks {
  let ready: Promise<{ sessions: PrefixSessions; run: (data: unknown, s: PrefixSessions) => Promise<{ result: unknown; items: number }>; close: () => void }> | undefined;
  const load = async () => {
    const [{ openBlobStore }, trainer] = await Promise.all([import('@headstart/queue'), import('@headstart/trainer')]);
    // Tensors here only carry values between preprocessing and onnxruntime: the plain cpu backend suffices.
    await trainer.selectBackend('cpu');
    const store = openBlobStore(url);
    return { sessions: new trainer.PrefixSessions((name) => store.get(name), threads), run: trainer.processFeatureChunk, close: () => store.close() };
  };
  return {
    async process(data) {
      if (!ready) {
        ready = load();
        ready.catch(() => (ready = undefined));
      }
      const r = await ready;
      return r.run(data, r.sessions);
    },
    async dispose() {
      if (!ready) return;
      const r = await ready;
      await r.sessions.dispose();
      r.close();
    },
  };
}
