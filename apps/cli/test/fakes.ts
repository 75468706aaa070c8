/** Test doubles: a capturing CliIo and a trainer that replays scripted events. */
import { PassThrough } from 'node:stream';
import { HeadstartError, type TrainerEvent } from '@headstart/core';
import type { CliIo } from '../src/io.ts';
import type { TrainOptions, TrainerApi, TrainResult } from '../src/ports.ts';
import { main } from '../src/main.ts';

export interface Captured extends CliIo {
  out(): string;
  err(): string;
}

/** A non-TTY io whose output is kept in memory. */
export function captureIo(): Captured {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, stdin: new PassThrough(), out: () => out, err: () => err };
}

/** Runs `headstart ...args` in-process with captured output. */
export async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(['node', 'headstart', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

/** A trainer that replays `events`; when its signal is aborted it emits 'interrupted' and rejects. */
export function replayTrainer(events: TrainerEvent[], seen: TrainOptions[] = []): TrainerApi {
  return {
    async train(opts, onEvent): Promise<TrainResult> {
      seen.push(opts);
      for (const e of events) {
        await new Promise((r) => setImmediate(r));
        if (opts.signal?.aborted && e.type === 'epoch-start') {
          onEvent({ type: 'interrupted', phase: e.phase, epoch: e.epoch - 1, checkpoint: `${opts.out}/checkpoint`, resumeCommand: '' });
          throw new HeadstartError('INTERRUPTED', 'stopped');
        }
        onEvent(e);
      }
      const ev = events.find((e) => e.type === 'eval');
      if (ev?.type !== 'eval') throw new Error('script has no eval');
      return {
        runDir: opts.out,
        manifest: { metrics: { val_acc: 0.8 } } as unknown as TrainResult['manifest'],
        report: { ...ev, count: 30, labels: ['cat', 'dog', 'fox'], confusion: [], macroF1: 0.78, weightedF1: 0.79, topLosses: [] },
      };
    },
    evaluateRun: () => Promise.reject(new Error('not scripted')),
    reportStem: (data) => (data === undefined ? 'report' : `report-${data.split('/').filter(Boolean).at(-1) ?? 'data'}`),
    ttaSummary: () => undefined,
    listBases: () => [],
    baseCacheStates: async () => ({}),
    pullBase: () => Promise.reject(new Error('not scripted')),
    pinSnippet: () => Promise.reject(new Error('not scripted')),
    adviseForDataset: () => Promise.reject(new Error('not scripted')),
    deepCheck: () => Promise.reject(new Error('not scripted')),
    writeDeepCheckFiles: () => Promise.reject(new Error('not scripted')),
  };
}
