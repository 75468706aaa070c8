/** A tiny external store around the reducer, for React's useSyncExternalStore. */
import type { TrainerEvent } from '@headstart/core';
import { fail, initialState, reduce, type DashboardState } from './state.ts';

export interface DashboardStore {
  getState(): DashboardState;
  dispatch(event: TrainerEvent): DashboardState;
  fail(error: { code?: string; message: string }): DashboardState;
  subscribe(listener: () => void): () => void;
}

/** Creates a store holding the dashboard state; listeners run after every change. */
export function createDashboardStore(state: DashboardState = initialState()): DashboardStore {
  const listeners = new Set<() => void>();
  const set = (next: DashboardState): DashboardState => {
    state = next;
    for (const l of listeners) l();
    return state;
  };
  return {
    getState: () => state,
    dispatch: (event) => set(reduce(state, event)),
    fail: (error) => set(fail(state, error)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
