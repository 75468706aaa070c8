import express, { type RequestHandler } from 'express';

/** Serves the built web page with cross-origin isolation (COOP/COEP, for threaded wasm) and exact wasm/mjs types. */
export function webStatic(root: string): RequestHandler {
  return express.static(root, {
    index: 'index.html',
    dotfiles: 'ignore',
    fallthrough: true,
    setHeaders(res, path) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      if (path.endsWith('.wasm')) res.setHeader('Content-Type', 'application/wasm');
      else if (path.endsWith('.mjs')) res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    },
  });
}
