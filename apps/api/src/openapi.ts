const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  required: ['error'],
};
const err = (description: string): Record<string, unknown> => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const name = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } };
const version = { name: 'v', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
const topk = { name: 'topk', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } };
const predictBody = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: { type: 'object', properties: { image: { type: 'array', items: { type: 'string', format: 'binary' } } }, required: ['image'] },
    },
    'image/jpeg': { schema: { type: 'string', format: 'binary' } },
    'image/png': { schema: { type: 'string', format: 'binary' } },
    'image/webp': { schema: { type: 'string', format: 'binary' } },
  },
};
const predictResponses = {
  '200': { description: 'Predictions (`results` instead of `predictions` for a multipart batch)', content: { 'application/json': { schema: { $ref: '#/components/schemas/PredictResponse' } } } },
  '400': err('Bad request or undecodable image'),
  '401': err('Missing or wrong API key'),
  '404': err('No such model or version'),
  '413': err('Body or decoded image too large'),
  '415': err('Not a JPEG, PNG or WebP image'),
  '429': err('Queue full (see Retry-After)'),
  '504': err('Deadline exceeded'),
};

/** OpenAPI 3.1 description of the v1 routes (served at GET /openapi.json). */
export const OPENAPI_V1 = {
  openapi: '3.1.0',
  info: { title: 'Headstart prediction API', version: '1.0.0', description: 'Image classification from exported Headstart ONNX models. The Open Inference Protocol v2 routes under /v2 follow the KServe specification.' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
    schemas: {
      Error: errorSchema,
      Prediction: { type: 'object', properties: { label: { type: 'string' }, probability: { type: 'number' } }, required: ['label', 'probability'] },
      Answer: {
        type: 'object',
        description: 'One image: `label` is the top label, or "unknown" when the model has a threshold (`unknownBelow` on GET /v1/models/{name}, `headstart.unknown_below` in the ONNX metadata) and the top probability is below it; `predictions` still lists the top labels, most likely first.',
        properties: {
          label: { type: 'string' },
          unknown: { type: 'boolean', description: 'true when `label` is "unknown" because the top probability is below the threshold' },
          predictions: { type: 'array', items: { $ref: '#/components/schemas/Prediction' } },
        },
        required: ['label', 'unknown', 'predictions'],
      },
      PredictResponse: {
        type: 'object',
        properties: {
          model: { type: 'string' },
          version: { type: 'integer' },
          label: { type: 'string', description: 'single image: the top label, or "unknown" below the model threshold (see Answer)' },
          unknown: { type: 'boolean' },
          predictions: { type: 'array', items: { $ref: '#/components/schemas/Prediction' } },
          results: { type: 'array', items: { $ref: '#/components/schemas/Answer' } },
          timings: { type: 'object', properties: { decodeMs: { type: 'number' }, queueMs: { type: 'number' }, inferenceMs: { type: 'number' }, batchSize: { type: 'integer' }, totalMs: { type: 'number' } } },
        },
        required: ['model', 'version', 'timings'],
      },
    },
  },
  security: [{}, { bearer: [] }, { apiKey: [] }],
  paths: {
    '/v1/models': { get: { summary: 'List loaded models and load failures', responses: { '200': { description: 'Models' } } } },
    '/v1/models/{name}': { get: { summary: 'Latest version: labels, input spec, versions, provider', parameters: [name], responses: { '200': { description: 'Model' }, '404': err('No such model') } } },
    '/v1/models/{name}/versions/{v}': { get: { summary: 'One version', parameters: [name, version], responses: { '200': { description: 'Model' }, '404': err('No such model or version') } } },
    '/v1/models/{name}/versions/{v}/model.onnx': {
      get: { summary: 'Download the ONNX file', parameters: [name, version], responses: { '200': { description: 'ONNX bytes', content: { 'application/octet-stream': {} } }, '404': err('No such model or version') } },
    },
    '/v1/models/{name}/versions/{v}/report.json': {
      get: { summary: "The version's evaluation report (report.json published beside model.onnx), with history.jsonl epochs as `history`", parameters: [name, version], responses: { '200': { description: 'EvalReport' }, '404': err('No such model, version or report') } },
    },
    '/v1/models/{name}/predict': { post: { summary: 'Classify with the latest version', parameters: [name, topk], requestBody: predictBody, responses: predictResponses } },
    '/v1/models/{name}/versions/{v}/predict': { post: { summary: 'Classify with one version', parameters: [name, version, topk], requestBody: predictBody, responses: predictResponses } },
  },
} as const;
