/** `headstart serve --models <dir> [--port] [--host] [--web <dir>]`: the prediction API until SIGTERM/SIGINT. */
import { EXIT } from '../io.ts';
import type { RegisterCommand } from './index.ts';

interface Flags {
  models: string;
  port?: string;
  host?: string;
  web?: string;
  maxBatch?: string;
  maxDelayMs?: string;
  queueSize?: string;
  deadlineMs?: string;
  apiKey?: string;
  cors?: string;
  provider?: string;
  threads?: string;
  logLevel?: string;
}

/** Resolves when the process receives SIGTERM or SIGINT (injectable for tests). */
export type WaitForStop = () => Promise<string>;

const waitForSignal: WaitForStop = () =>
  new Promise((resolve) => {
    const on = (signal: string): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });

/** Builds the serve command; `waitForStop` decides when to shut down (signals by default). */
export function makeRegisterServe(waitForStop: WaitForStop = waitForSignal): RegisterCommand {
  return (program, io, setExit) => {
    program
      .command('serve')
      .description('serve the models in a registry directory (models/<name>/<version>/model.onnx) over HTTP')
      .requiredOption('--models <dir>', 'registry directory')
      .option('--port <n>', 'port (default 8080; 0 = any free port)')
      .option('--host <addr>', 'address to bind (default 127.0.0.1)')
      .option('--web <dir>', 'also serve this built web page at / (e.g. apps/web/dist)')
      .option('--max-batch <n>', 'micro-batch size (default 8)')
      .option('--max-delay-ms <ms>', 'longest wait for a batch to fill (default 2)')
      .option('--queue-size <n>', 'images that may wait before 429 (default 64)')
      .option('--deadline-ms <ms>', 'per-request deadline before 504 (default 10000)')
      .option('--api-key <key>', 'require this key (Authorization: Bearer / x-api-key); or HEADSTART_API_KEY')
      .option('--cors <origins>', 'comma-separated allowed origins, or *')
      .option('--provider <p>', 'auto | cuda | cpu')
      .option('--threads <n>', 'onnxruntime intra-op threads per model')
      .option('--log-level <level>', 'info (default), debug, warn, error, silent')
      .addHelpText('after', '\nEvery setting also reads HEADSTART_* environment variables (flags win). Logs are JSON lines on stdout.\n\nExample:\n  headstart serve --models models --port 8080 --web apps/web/dist')
      .action(async (flags: Flags) => {
        const api = await import('@headstart/api');
        const config = api.resolveConfig(
          {
            modelsDir: flags.models,
            port: flags.port,
            host: flags.host,
            webRoot: flags.web,
            maxBatch: flags.maxBatch,
            maxDelayMs: flags.maxDelayMs,
            queueSize: flags.queueSize,
            deadlineMs: flags.deadlineMs,
            apiKey: flags.apiKey,
            corsOrigins: flags.cors,
            provider: flags.provider,
            threads: flags.threads,
            logLevel: flags.logLevel,
          },
          process.env,
        );
        const logger = api.createLogger(config.logLevel, io.stdout);
        const running = await api.startServer(config, logger);
        if (running.app.registry.names().length === 0) {
          logger.warn({ modelsDir: config.modelsDir }, 'no models loaded yet; add models/<name>/<version>/model.onnx (polled)');
        }
        const signal = await waitForStop();
        logger.info({ signal }, 'shutting down');
        await running.close();
        setExit(EXIT.ok);
      });
  };
}

/** `headstart serve`. */
export const registerServe: RegisterCommand = makeRegisterServe();

