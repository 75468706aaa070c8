import { activationEmitters } from './activation.ts';
import type { Emitter } from './context.ts';
import { convEmitters } from './conv.ts';
import { coreEmitters } from './core.ts';
import { spatialEmitters } from './spatial.ts';

/** Keras layer class name → ONNX emitter. */
export const EMITTERS: Readonly<Record<string, Emitter>> = {
  ...coreEmitters,
  ...convEmitters,
  ...spatialEmitters,
  ...activationEmitters,
};

/** Layer classes the exporter converts (InputLayer and nested Model/Sequential are handled structurally). */
export const SUPPORTED_LAYERS: readonly string[] = ['InputLayer', 'Model', 'Functional', 'Sequential', ...Object.keys(EMITTERS).filter((k) => !k.startsWith('__'))].sort();
