// Entry of a step worker: worker threads do not inherit the TypeScript loader the main thread
// registered (the CLI registers it through tsx's API), so register it here, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./step-worker.ts');
