import { describe, expect, it } from 'vitest';
import { initialCallbackState, onEpochEnd } from '../src/train/callbacks.ts';
import { resolveSchedule } from '../src/index.ts';

describe('switching callbacks off', () => {
  it('earlyStopping / reduceOnPlateau false replace the defaults and never stop or lower the rate', () => {
    const s = resolveSchedule({ phase1: { epochs: 50, earlyStopping: false, reduceOnPlateau: false } });
    expect(s.phase1.earlyStopping).toBe(false);
    expect(s.phase1.reduceOnPlateau).toBe(false);
    // The defaults keep both on.
    expect(resolveSchedule(undefined).phase1.earlyStopping).toMatchObject({ patience: 5 });
    let state = initialCallbackState(s.phase1);
    for (let epoch = 0; epoch < 30; epoch++) {
      // Validation loss only ever gets worse.
      const d = onEpochEnd(s.phase1, state, epoch, { val_loss: 1 + epoch, loss: 1 }, true);
      expect(d.stop).toBe(false);
      expect(d.lrChange).toBeUndefined();
      state = d.state;
    }
    expect(state.lr).toBe(1e-3);
    // The same epochs with the defaults stop and halve the rate.
    const on = resolveSchedule(undefined).phase1;
    let s2 = initialCallbackState(on);
    let stopped = false;
    for (let epoch = 0; epoch < 30 && !stopped; epoch++) {
      const d = onEpochEnd(on, s2, epoch, { val_loss: 1 + epoch, loss: 1 }, true);
      stopped = d.stop;
      s2 = d.state;
    }
    expect(stopped).toBe(true);
    expect(s2.lr).toBeLessThan(1e-3);
  });
});
