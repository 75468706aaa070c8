/** A step worker: holds a replica of the trained model and computes the gradients of its share of each batch. */
import { parentPort } from 'node:worker_threads';
import { createRng } from '@headstart/core';
import { selectBackend } from '../backend/select-backend.ts';
import { pinInference, reseedStochastic, useFastActivations } from '../model/modes.ts';
import { tfc, tfl, type LayersModel } from '../tf.ts';
import type { InitMessage, StepMessage, WorkerReply } from './protocol.ts';
import { shareLoss } from './share-loss.ts';

interface Replica {
  model: LayersModel;
  vars: tfc.Variable[];
  sizes: number[];
  weights: Float32Array;
  grads: Float32Array;
  classes: number;
  classWeights?: tfc.Tensor1D;
}

async function init(m: InitMessage): Promise<Replica> {
  await selectBackend(m.backend);
  const model = await tfl.models.modelFromJSON({ modelTopology: JSON.parse(m.topology) as tfc.io.ModelJSON['modelTopology'] });
  model.setWeights(m.weights.map((w, i) => tfc.tensor(w, model.weights[i]?.shape as number[])));
  const trainable = new Set(m.trainable);
  for (const l of model.layers) if (l.getClassName() !== 'InputLayer') l.trainable = trainable.has(l.name);
  for (const n of m.pinned) pinInference(model.getLayer(n));
  useFastActivations(model);
  const vars = model.trainableWeights.map((w) => w.read() as tfc.Variable);
  const r: Replica = { model, vars, sizes: vars.map((v) => v.size), weights: new Float32Array(m.weightBuffer), grads: new Float32Array(m.gradBuffer), classes: m.classes };
  if (m.classWeights) r.classWeights = tfc.tensor1d(m.classWeights);
  return r;
}

function step(r: Replica, m: StepMessage): { loss: number; correct: number } {
  let off = 0;
  r.vars.forEach((v, i) => {
    const n = r.sizes[i] as number;
    tfc.tidy(() => v.assign(tfc.tensor(r.weights.slice(off, off + n), v.shape)));
    off += n;
  });
  reseedStochastic(r.model, createRng(m.seed));
  const xs = m.xs.map((x) => tfc.tensor(x.data, x.shape));
  const y = tfc.tensor1d(m.y, 'int32');
  let pred: tfc.Tensor1D | undefined;
  const { value, grads } = tfc.variableGrads(() => {
    const out = shareLoss(r.model, xs, y, { classes: r.classes, total: m.total, ...(r.classWeights ? { classWeights: r.classWeights } : {}) });
    pred = out.pred;
    return out.loss;
  }, r.vars);
  off = 0;
  for (const v of r.vars) {
    const g = grads[v.name] as tfc.Tensor;
    r.grads.set(g.dataSync() as Float32Array, off);
    off += v.size;
  }
  const loss = value.dataSync()[0] as number;
  const correct = tfc.tidy(() => tfc.sum(tfc.cast(tfc.equal(pred as tfc.Tensor1D, y), 'int32')).dataSync()[0] as number);
  tfc.dispose([value, ...Object.values(grads), ...xs, y, pred as tfc.Tensor]);
  return { loss, correct };
}

const port = parentPort;
if (port) {
  let replica: Replica | undefined;
  const reply = (r: WorkerReply): void => port.postMessage(r);
  port.on('message', (m: InitMessage | StepMessage) => {
    void (async () => {
      try {
        if (m.type === 'init') {
          replica = await init(m);
          reply({ type: 'ready' });
        } else if (replica) {
          reply({ type: 'done', ...step(replica, m) });
        } else {
          throw new Error('step before init');
        }
      } catch (e) {
        reply({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      }
    })();
  });
}
