// Worker-thread entry (plain JS so it needs no TypeScript loader): owns one onnxruntime-node
// session so inference never blocks the main event loop. Protocol: ./worker-protocol.ts.
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

let session;
if (parentPort === null) throw new Error('session-worker.mjs must run in a worker thread');

parentPort.on('message', (msg) => {
  void (async () => {
    try {
      if (msg.type === 'init') {
        session = await ort.InferenceSession.create(msg.bytes, msg.options);
        const outputWidths = session.outputMetadata.map((m) => {
          const last = m.isTensor ? m.shape[m.shape.length - 1] : undefined;
          return typeof last === 'number' ? last : -1;
        });
        parentPort.postMessage({ type: 'ready', inputNames: [...session.inputNames], outputNames: [...session.outputNames], outputWidths });
      } else if (msg.type === 'run') {
        if (session === undefined) throw new Error('session not initialised');
        // Only the asked output: a model's optional outputs (e.g. Grad-CAM's `cam`) are not computed for predictions.
        const out = await session.run({ [msg.input]: new ort.Tensor('float32', msg.data, msg.dims) }, [msg.output]);
        const t = out[msg.output];
        if (t === undefined || !(t.data instanceof Float32Array)) throw new Error(`output "${msg.output}" is missing or not float32`);
        const data = new Float32Array(t.data);
        parentPort.postMessage({ type: 'result', id: msg.id, data }, [data.buffer]);
      } else {
        await session?.release();
        session = undefined;
        parentPort.postMessage({ type: 'released' });
      }
    } catch (e) {
      parentPort.postMessage({ type: 'error', id: msg.type === 'run' ? msg.id : -1, message: e instanceof Error ? e.message : String(e) });
    }
  })();
});
