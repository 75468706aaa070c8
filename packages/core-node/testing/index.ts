/** Test fixtures: a messy dataset on disk, planted label noise, hand-built PNG files. */
export * from './messy-dataset.ts';
export * from './label-noise.ts';
export * from './png.ts';
