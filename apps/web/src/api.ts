/** Client for the Headstart API routes the page uses (same origin; no other host is ever contacted). */

/** One model version available in the API's registry. */
export interface RegistryEntry {
  name: string;
  version: number;
}

/** A server-side prediction as returned by `POST /v1/models/:name/versions/:v/predict`. */
export interface ServerPrediction {
  predictions: { label: string; probability: number }[];
  timings?: Record<string, number>;
}

const enc = encodeURIComponent;

/** URL of a registry model's ONNX file. */
export function modelUrl(e: RegistryEntry): string {
  return `v1/models/${enc(e.name)}/versions/${e.version}/model.onnx`;
}

/** URL of a registry model's evaluation report (proposed route, see apps/web README). */
export function reportUrl(e: RegistryEntry): string {
  return `v1/models/${enc(e.name)}/versions/${e.version}/report.json`;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function versionsOf(m: Record<string, unknown>): number[] {
  const out: number[] = [];
  const push = (v: unknown): void => {
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n) && n > 0) out.push(n);
  };
  if (Array.isArray(m['versions'])) for (const v of m['versions']) push(asRecord(v)?.['version'] ?? v);
  push(m['latest']);
  push(m['version']);
  return [...new Set(out)].sort((a, b) => b - a);
}

/**
 * Parses `GET /v1/models` leniently: `{models:[...]}` or a bare array; each model has a `name` and
 * `versions` (numbers or objects with `version`) and/or `latest`/`version`. Newest version first.
 */
export function parseModelList(body: unknown): RegistryEntry[] {
  const list = Array.isArray(body) ? body : asRecord(body)?.['models'];
  if (!Array.isArray(list)) return [];
  const out: RegistryEntry[] = [];
  for (const item of list) {
    const m = asRecord(item);
    const name = m?.['name'];
    if (!m || typeof name !== 'string') continue;
    const versions = versionsOf(m);
    for (const version of versions.length > 0 ? versions : [1]) out.push({ name, version });
  }
  return out;
}

/** Lists the registry; resolves to [] when no API answers (a page served on its own). */
export async function listRegistry(): Promise<RegistryEntry[]> {
  try {
    const res = await fetch('v1/models', { headers: { accept: 'application/json' } });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return [];
    return parseModelList(await res.json());
  } catch {
    return [];
  }
}

/** Asks the API to classify the same encoded image. */
export async function predictOnServer(e: RegistryEntry, image: Blob, topK: number): Promise<ServerPrediction> {
  const res = await fetch(`v1/models/${enc(e.name)}/versions/${e.version}/predict?topk=${topK}`, {
    method: 'POST',
    headers: { 'content-type': image.type || 'application/octet-stream' },
    body: image,
  });
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } } & Partial<ServerPrediction>;
  if (!res.ok || !Array.isArray(body.predictions)) {
    throw new Error(`Server prediction failed (HTTP ${res.status}): ${body.error?.message ?? 'unexpected answer'}`);
  }
  return { predictions: body.predictions, timings: body.timings };
}
