import type { Command } from 'commander';
import type { CliIo, ExitCode } from '../io.ts';
import type { CliPorts } from '../ports.ts';
import { registerAdvise } from './advise.ts';
import { registerDemo } from './demo.ts';
import { registerEval } from './eval.ts';
import { registerModels } from './models.ts';
import { registerTrain } from './train.ts';
import { registerCheck } from './check.ts';
import { registerPredict } from './predict.ts';
import { registerServe } from './serve.ts';
import { registerExport } from './export.ts';
import { registerPublish } from './publish.ts';
import { registerWorker } from './worker.ts';
import { registerExplain } from './explain.ts';

/** A command module adds itself to the program; its action resolves to an exit code. `ports` loads the trainer and exporter. */
export type RegisterCommand = (program: Command, io: CliIo, setExit: (code: ExitCode) => void, ports: CliPorts) => void;

/** Every `headstart` sub-command, in help order. Each helper adds its line here. */
export const commands: RegisterCommand[] = [
  registerCheck,
  registerDemo,
  registerTrain,
  registerEval,
  registerModels,
  registerAdvise,
  registerPredict,
  registerExplain,
  registerServe,
  registerExport,
  registerPublish,
  registerWorker,
];
