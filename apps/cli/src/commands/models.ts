/** `headstart models`: the base catalogue with provenance and cache state; `models pull NAME`, `models pin NAME`. */
import type { TrainerEvent } from '@headstart/core';
import { modelSettings } from '../config.ts';
import { downloadBar, mb, table } from '../dashboard/format.ts';
import type { BaseCacheState, BaseInfo } from '../ports.ts';
import { EXIT, type CliIo } from '../io.ts';
import type { RegisterCommand } from './index.ts';

const STATE_TEXT: Record<BaseCacheState, string> = { bundled: 'bundled', cached: 'cached', partial: 'partial', absent: 'not cached' };

/** Catalogue as a table plus one provenance paragraph per base. */
export function modelsLines(bases: readonly BaseInfo[], states: Readonly<Record<string, BaseCacheState>> = {}, cacheDir?: string): string[] {
  const rows = bases.map((b) => [b.id, `${b.inputSize[0]}×${b.inputSize[1]}`, b.resizable ? 'yes' : 'no', b.preprocess, b.defaultCut, STATE_TEXT[states[b.id] ?? (b.url ? 'absent' : 'bundled')], b.licence]);
  return [
    ...table(['id', 'input', 'resizable', 'preprocess', 'default cut', 'state', 'licence'], rows),
    '',
    ...bases.flatMap((b) => [`${b.id}: ${b.description}`, `  source: ${b.source}`, `  provenance: ${b.provenance}`]),
    '',
    ...(cacheDir ? [`Downloads are cached in ${cacheDir} ($HEADSTART_CACHE); fetch one ahead with \`headstart models pull NAME\`.`] : []),
    'Downloaded bases are checked against a sha256 on every use: pinned in the catalogue where known, else the hashes of the first complete download (trust on first use; `headstart models pin NAME` prints them for pinning).',
    'Also accepted by --base: a TF.js layers model.json (path or http(s) URL), a Keras .h5 / .keras file (with --cut and --preprocess), or a finished run directory.',
  ];
}

/** Renders download events: a bar redrawn in place on a terminal, a line per 25 % otherwise. */
export function downloadRenderer(io: CliIo): (e: TrainerEvent) => void {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let lastQuarter = -1;
  return (e) => {
    if (e.type === 'warning') io.stderr.write(`! ${e.message}\n`);
    if (e.type !== 'download') return;
    if (e.stage === 'begin') {
      lastQuarter = -1;
      io.stderr.write(`downloading ${e.url}${e.received > 0 ? ` (resuming at ${mb(e.received)})` : ''}\n`);
    } else if (e.stage === 'progress') {
      const quarter = e.total ? Math.floor((4 * e.received) / e.total) : -1;
      if (tty) io.stderr.write(`\r  ${downloadBar(e.received, e.total, 30)}`);
      else if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter;
        io.stderr.write(`  ${downloadBar(e.received, e.total, 30)}\n`);
      }
    } else io.stderr.write(`${tty ? '\r\x1b[K' : ''}  saved ${e.file} (${mb(e.received)})\n`);
  };
}

export const registerModels: RegisterCommand = (program, io, setExit, ports) => {
  const models = program
    .command('models')
    .description('list the pretrained bases (bundled and downloadable) with input size, preprocessing, cut, cache state, licence and provenance')
    .option('--json', 'print the catalogue as a JSON array (with a `state` field)')
    .action(async (flags: { json?: boolean }) => {
      const { cacheDir } = modelSettings();
      const trainer = await ports.loadTrainer();
      const bases = trainer.listBases();
      const states = await trainer.baseCacheStates(cacheDir);
      io.stdout.write(flags.json ? `${JSON.stringify(bases.map((b) => ({ ...b, state: states[b.id] })), null, 2)}\n` : `${modelsLines(bases, states, cacheDir).join('\n')}\n`);
      setExit(EXIT.ok);
    });
  models
    .command('pull')
    .description('download a catalogue base into the cache ahead of training (verifies it when already cached)')
    .argument('<name>', 'catalogue id, e.g. mobilenet_v2_100')
    .action(async (name: string) => {
      const settings = modelSettings();
      const trainer = await ports.loadTrainer();
      const got = await trainer.pullBase(name, settings, downloadRenderer(io));
      const trust = got.record.trust === 'pinned' ? 'sha256 pinned by the catalogue: verified' : 'sha256 recorded at first download (not pinned in the catalogue): checked on every later use';
      io.stdout.write(`${name} ${got.downloaded ? 'downloaded to' : 'already cached in'} ${got.dir} (${trust})\n`);
      setExit(EXIT.ok);
    });
  models
    .command('pin')
    .description('print the sha256 of a cached base as a catalogue `sha256` field, to pin it')
    .argument('<name>', 'catalogue id of a cached base')
    .action(async (name: string) => {
      const trainer = await ports.loadTrainer();
      io.stdout.write(`${(await trainer.pinSnippet(name, modelSettings().cacheDir)).join('\n')}\n`);
      setExit(EXIT.ok);
    });
};
