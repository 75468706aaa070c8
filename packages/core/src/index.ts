/**
 * @headstart/core — isomorphic contracts and pure logic.
 * @example
 *   import { HeadstartError } from '@headstart/core';
 */
export * from './errors.ts';
