/** @headstart/queue/testing — a real redis-server for tests. */
export * from './redis-server.ts';
