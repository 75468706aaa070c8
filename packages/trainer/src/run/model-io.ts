/** Saving and loading TF.js layers models as `model.json` + `weights.bin`, atomically, without tfjs-node. */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { weightSpecsOf, type WeightSpec } from '@headstart/core';
import { readModelJsonFile, writeModelJsonFiles } from '@headstart/core-node';
import { buildArtifacts } from '../bases/artifacts.ts';
import { tfc, tfl, type LayersModel } from '../tf.ts';

/** Writes `model` to `dir/model.json` + `dir/weights.bin` (weights first, then the JSON that names them). */
export async function saveLayersModel(model: LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  let saved: tfc.io.ModelArtifacts | undefined;
  await model.save(
    tfc.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved || !saved.weightData || !saved.weightSpecs) throw new Error('saveLayersModel: tfjs produced no artifacts');
  const weightData = saved.weightData instanceof ArrayBuffer ? saved.weightData : new Uint8Array(tfc.io.concatenateArrayBuffers(saved.weightData));
  await writeModelJsonFiles(dir, saved.modelTopology, saved.weightSpecs as WeightSpec[], new Uint8Array(weightData as ArrayBuffer), `TensorFlow.js tfjs-layers v${tfl.version_layers}`);
}

/** Loads a layers model saved by `saveLayersModel` (or any tfjs layers model.json on disk). */
export async function loadLayersModelFile(modelJsonPath: string): Promise<LayersModel> {
  const { json, weightData } = await readModelJsonFile(modelJsonPath);
  const artifacts = buildArtifacts(json.modelTopology, weightSpecsOf(json), weightData);
  return tfl.loadLayersModel(tfc.io.fromMemory(artifacts));
}

/** Replaces directory `dst` by `src` (both on the same file system). */
export async function replaceDir(src: string, dst: string): Promise<void> {
  const old = `${dst}.old-${process.pid}`;
  await rm(old, { recursive: true, force: true });
  const exists = await readdir(dst).then(
    () => true,
    () => false,
  );
  if (exists) await rename(dst, old);
  await rename(src, dst);
  await rm(old, { recursive: true, force: true });
}
