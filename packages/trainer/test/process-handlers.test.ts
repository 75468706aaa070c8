import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select-backend.ts';
import { withoutForeignCrashHandlers } from '../src/backend/process-handlers.ts';

const counts = (): number[] => [process.listeners('uncaughtException').length, process.listeners('unhandledRejection').length];

describe('crash handlers', () => {
  it('initialising the wasm backend leaves the process crash handlers as they were', async () => {
    const before = counts();
    const report = await selectBackend('wasm');
    expect(report.name).toBe('wasm');
    expect(counts()).toEqual(before);
  });

  it('removes exactly the listeners the wrapped call added', async () => {
    const ours = (): void => undefined;
    process.on('unhandledRejection', ours);
    const before = counts();
    await withoutForeignCrashHandlers(async () => {
      process.on('uncaughtException', () => undefined);
      process.on('unhandledRejection', () => undefined);
    });
    expect(counts()).toEqual(before);
    expect(process.listeners('unhandledRejection')).toContain(ours);
    process.off('unhandledRejection', ours);
  });
});
