// Entry of a bulk-predict thread: worker threads do not inherit the TypeScript loader the main
// thread registered (bin/headstart.js registers it through tsx's API), so register it here.
import { register } from 'tsx/esm/api';

register();
await import('./predict-thread.ts');
