/** `headstart models`: the base-model catalogue with provenance. */
import { table } from '../dashboard/format.ts';
import { loadTrainer, type BaseInfo } from '../ports.ts';
import { EXIT } from '../io.ts';
import type { RegisterCommand } from './index.ts';

/** Catalogue as a table plus one provenance paragraph per base. */
export function modelsLines(bases: readonly BaseInfo[]): string[] {
  const rows = bases.map((b) => [b.id, `${b.inputSize[0]}×${b.inputSize[1]}`, b.resizable ? 'yes' : 'no', b.preprocess, b.defaultCut, b.source]);
  return [
    ...table(['id', 'input', 'resizable', 'preprocess', 'default cut', 'source'], rows),
    '',
    ...bases.flatMap((b) => [`${b.id}: ${b.description}`, `  provenance: ${b.provenance}`]),
    '',
    'Also accepted by --base: a TF.js layers model.json (path or http(s) URL, with --cut and --preprocess) or a finished run directory.',
  ];
}

export const registerModels: RegisterCommand = (program, io, setExit) => {
  program
    .command('models')
    .description('list the pretrained bases available offline, with input size, preprocessing, cut layer and provenance')
    .option('--json', 'print the catalogue as a JSON array')
    .action(async (flags: { json?: boolean }) => {
      const bases = (await loadTrainer()).listBases();
      io.stdout.write(flags.json ? `${JSON.stringify(bases, null, 2)}\n` : `${modelsLines(bases).join('\n')}\n`);
      setExit(EXIT.ok);
    });
};
