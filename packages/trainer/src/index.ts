export * from './backend/select-backend.ts';
export * from './backend/tfjs-instance.ts';
export * from './kernels/register-wasm.ts';
export * from './kernels/conv2d-grads.ts';
export * from './kernels/depthwise-grads.ts';
export * from './kernels/max-pool-grad.ts';
