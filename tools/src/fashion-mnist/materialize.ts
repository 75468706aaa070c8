/**
 * Materialises a class-per-folder PNG dataset from the Fashion-MNIST IDX files.
 * Usage: node --import tsx tools/src/fashion-mnist/materialize.ts --out <dir> --per-class <k>
 *        [--classes 0,1,...] [--seed <s>] [--split train|test] [--source <idx dir>]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { materialize } from './fashion-mnist.ts';

export { loadFashionMnist, materialize, pickIndices, FASHION_MNIST_DIR } from './fashion-mnist.ts';
export type { FashionMnist, MaterializeOptions, MaterializeResult } from './fashion-mnist.ts';

const USAGE = 'usage: materialize.ts --out <dir> --per-class <k> [--classes 0,1,...] [--seed <s>] [--split train|test] [--source <idx dir>]';

/** Parses argv and runs `materialize`; returns the process exit code. */
export async function cli(argv: string[], log: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      'per-class': { type: 'string' },
      classes: { type: 'string' },
      seed: { type: 'string', default: '0' },
      split: { type: 'string', default: 'train' },
      source: { type: 'string' },
    },
    strict: true,
  });
  const perClass = Number(values['per-class']);
  const seed = Number(values.seed);
  const split = values.split;
  if (!values.out || !Number.isInteger(perClass) || perClass < 1 || !Number.isInteger(seed) || (split !== 'train' && split !== 'test')) {
    log(USAGE);
    return 1;
  }
  const classes = values.classes?.split(',').map((c) => Number(c.trim()));
  const result = await materialize({
    out: resolve(values.out),
    perClass,
    seed,
    split,
    ...(classes ? { classes } : {}),
    ...(values.source ? { sourceDir: values.source } : {}),
  });
  const total = Object.values(result.files).reduce((n, f) => n + f.length, 0);
  log(`wrote ${total} PNGs (${(result.bytes / 1024).toFixed(0)} KiB) in ${Object.keys(result.files).length} class folders under ${result.out}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await cli(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`));
}
