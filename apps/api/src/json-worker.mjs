// Parses a v2 inference request body off the main thread: JSON.parse, then the one input
// tensor's nested `data` flattened (iteratively, depth-limited) into a Float64Array that is
// transferred back. Everything else of the request is returned as parsed, for validation by
// the caller (routes/v2.ts). Plain JS so it runs in any worker, with or without a TS loader.
import { parentPort } from 'node:worker_threads';

const MAX_DEPTH = 8;

function flatten(data, maxValues) {
  if (!Array.isArray(data)) throw new Error('inputs[0].data must be an array');
  const out = [];
  const stack = [[data, 0, 1]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [arr, i, depth] = top;
    if (i >= arr.length) {
      stack.pop();
      continue;
    }
    top[1] = i + 1;
    const v = arr[i];
    if (typeof v === 'number') {
      if (out.length >= maxValues) throw new Error(`tensor data has more than the ${maxValues} values the model takes`);
      out.push(v);
    } else if (Array.isArray(v)) {
      if (depth + 1 > MAX_DEPTH) throw new Error(`tensor data is nested deeper than ${MAX_DEPTH} levels`);
      stack.push([v, 0, depth + 1]);
    } else {
      throw new Error('tensor data must hold only numbers and arrays');
    }
  }
  return Float64Array.from(out);
}

parentPort.on('message', ({ id, body, maxValues }) => {
  try {
    let req;
    try {
      req = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      throw new Error('request body is not valid JSON');
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new Error('request body must be a JSON object');
    const input = Array.isArray(req.inputs) && typeof req.inputs[0] === 'object' && req.inputs[0] !== null ? req.inputs[0] : undefined;
    const values = input === undefined ? new Float64Array(0) : flatten(input.data, maxValues);
    if (input !== undefined) input.data = [];
    parentPort.postMessage({ id, ok: true, request: req, values }, [values.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, ok: false, message: e instanceof Error ? e.message : String(e) });
  }
});
