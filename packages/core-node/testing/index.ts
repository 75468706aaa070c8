/** Test fixtures built on disk: a messy dataset, planted label noise. */
export * from './messy-dataset.ts';
export * from './label-noise.ts';
