import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { isHeadstartError } from '@headstart/core';
import { parseConfigArgs } from './config.ts';
import { startServer } from './server.ts';

/** Entry: `node --import tsx apps/api/src/main.ts --models-dir models [--port 8080]`; SIGTERM/SIGINT stop gracefully. */
export async function main(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  const logger = pino({ level: 'info' });
  let config;
  try {
    config = parseConfigArgs(argv, env);
  } catch (e) {
    if (isHeadstartError(e)) {
      logger.fatal({ code: e.code }, e.message);
      return 1;
    }
    throw e;
  }
  logger.level = config.logLevel;
  const running = await startServer(config, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      void running.close().then(resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
