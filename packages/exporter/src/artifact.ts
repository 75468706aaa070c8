/** The exporter's view of a TF.js layers model: every weight decoded to float32 (the format itself is core's). */
import { decodeWeights, HeadstartError, weightBytes, weightSpecsOf, type ArtifactSource, type Weight } from '@headstart/core';
import { readModelJsonFile } from '@headstart/core-node';

/** A layers artifact with every weight decoded to float32; no TF.js backend involved. */
export interface LayersArtifact {
  modelTopology: Record<string, unknown>;
  weights: Map<string, Weight>;
  /** Where it came from (a path or "memory"), for messages. */
  origin: string;
}

/** Reads `model.json` and its weight files from disk and decodes every weight. */
export async function readLayersArtifact(modelJsonPath: string): Promise<LayersArtifact> {
  const { json, weightData } = await readModelJsonFile(modelJsonPath);
  return decodeArtifact({ modelTopology: json.modelTopology, weightSpecs: weightSpecsOf(json), weightData }, modelJsonPath);
}

/** Decodes an in-memory artifact (tf.io.ModelArtifacts shape) into float32 weights. */
export function decodeArtifact(source: ArtifactSource, origin = 'memory'): LayersArtifact {
  const topology = source.modelTopology;
  if (typeof topology !== 'object' || topology === null) {
    throw new HeadstartError('MODEL_INVALID', `${origin}: modelTopology must be a JSON object`);
  }
  return { modelTopology: topology as Record<string, unknown>, weights: decodeWeights(source.weightSpecs, weightBytes(source.weightData), origin), origin };
}
