/**
 * The one TF.js entry of the trainer: tfjs-core ops plus tfjs-layers models, on whichever
 * backend `useBackend` selected. Every trainer file imports TF.js from here.
 */
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// The union package registers every op's gradient (tfjs-core alone registers none) and the cpu backend.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';

export { tfc, tfl };
export type Tensor = tfc.Tensor;
export type LayersModel = tfl.LayersModel;
export type SymbolicTensor = tfl.SymbolicTensor;
