import { createClassifier, type WebClassification, type WebClassifier, type WebProvider } from '@headstart/inference/web';
import { listRegistry, modelUrl, predictOnServer, reportUrl, type RegistryEntry } from './api.ts';
import { captureFrame, routeFiles, startCamera, stopCamera, webcamAvailable, wireDrop, wirePaste, type InputHandlers } from './inputs.ts';
import { parseHistoryJsonl, parseReport, type HistoryRow } from './report/parse.ts';
import { renderReport } from './report/view.ts';
import { answerLine, maxDelta, renderPredictions } from './results.ts';
import { drawWhy } from './why.ts';

const TOP_K = 5;
/** Largest |Δp| still counted as the browser and server agreeing (the project's parity tolerance). */
const AGREE = 1e-4;
/** onnxruntime-web's runtime files, copied into dist/ort/ by vite.config.ts and served by this app. */
const WASM_PATHS = new URL('ort/', document.baseURI).href;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};

const ui = {
  registry: $<HTMLSelectElement>('registry'),
  loadRegistry: $<HTMLButtonElement>('load-registry'),
  modelFile: $<HTMLInputElement>('model-file'),
  provider: $<HTMLSelectElement>('provider'),
  modelStatus: $('model-status'),
  dropzone: $('dropzone'),
  imageFile: $<HTMLInputElement>('image-file'),
  cameraRow: $('camera-row'),
  cameraStart: $<HTMLButtonElement>('camera-start'),
  cameraCapture: $<HTMLButtonElement>('camera-capture'),
  camera: $<HTMLVideoElement>('camera'),
  compare: $<HTMLInputElement>('compare'),
  resultStatus: $('result-status'),
  preview: $('preview'),
  previewImg: $<HTMLImageElement>('preview-img'),
  modelViewFig: $('model-view-fig'),
  modelView: $<HTMLCanvasElement>('model-view'),
  modelViewCaption: $('model-view-caption'),
  why: $<HTMLInputElement>('why'),
  whyStatus: $('why-status'),
  whyFig: $('why-fig'),
  whyView: $<HTMLCanvasElement>('why-view'),
  whyCaption: $('why-caption'),
  browserResult: $('browser-result'),
  serverResult: $('server-result'),
  reportFile: $<HTMLInputElement>('report-file'),
  loadReport: $<HTMLButtonElement>('load-report'),
  reportStatus: $('report-status'),
  report: $('report'),
};

let classifier: WebClassifier | undefined;
let registryModel: RegistryEntry | undefined;
let entries: RegistryEntry[] = [];
let cameraStream: MediaStream | undefined;
let previewUrl: string | undefined;
/** The last browser classification and the classifier that made it (for the why view). */
let lastResult: { result: WebClassification; clf: WebClassifier } | undefined;

function status(el: HTMLElement, text: string, error = false): void {
  el.textContent = text;
  el.classList.toggle('error', error);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Counts model loads: only the latest one's result is kept (an autoload and a click may overlap). */
let loadSeq = 0;
/** Loads run one after another: onnxruntime-web initialises its runtime once, and not twice at the same time. */
let loading: Promise<void> = Promise.resolve();

function loadModel(source: Uint8Array | string, name: string, fromRegistry: RegistryEntry | undefined): Promise<void> {
  const seq = ++loadSeq;
  status(ui.modelStatus, `Loading ${name}…`);
  ui.modelStatus.dataset['state'] = 'loading';
  const run = loading.then(() => (seq === loadSeq ? loadNow(seq, source, name, fromRegistry) : undefined));
  loading = run.catch(() => undefined);
  return run;
}

async function loadNow(seq: number, source: Uint8Array | string, name: string, fromRegistry: RegistryEntry | undefined): Promise<void> {
  try {
    await classifier?.dispose();
    classifier = undefined;
    const clf = await createClassifier(source, { provider: ui.provider.value as WebProvider, wasmPaths: WASM_PATHS });
    if (seq !== loadSeq) {
      await clf.dispose(); // a later load replaced this one while it was loading
      return;
    }
    classifier = clf;
    lastResult = undefined;
    showWhy();
    registryModel = fromRegistry;
    ui.compare.disabled = !fromRegistry;
    if (!fromRegistry) ui.compare.checked = false;
    ui.loadReport.disabled = !fromRegistry;
    const threads = clf.provider === 'wasm' ? ` (${clf.threads} thread${clf.threads === 1 ? '' : 's'})` : '';
    status(ui.modelStatus, `${name}: ${clf.labels.length} classes, input ${clf.inputSize[0]}×${clf.inputSize[1]}, ${clf.preprocess.resize} — running on ${clf.provider}${threads}.`);
    ui.modelStatus.dataset['state'] = 'ready';
    ui.modelStatus.dataset['provider'] = clf.provider;
  } catch (e) {
    if (seq !== loadSeq) return;
    status(ui.modelStatus, `Could not load ${name}: ${message(e)}`, true);
    ui.modelStatus.dataset['state'] = 'error';
  }
}

async function classify(image: Blob, name: string): Promise<void> {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(image);
  ui.previewImg.src = previewUrl;
  ui.preview.hidden = false;
  ui.serverResult.replaceChildren();
  if (!classifier) {
    status(ui.resultStatus, 'Load a model first (step 1).', true);
    return;
  }
  const clf = classifier;
  ui.resultStatus.dataset['state'] = 'running';
  status(ui.resultStatus, `Classifying ${name}…`);
  try {
    const r = await clf.classify(image, { topK: TOP_K });
    const latency = `${clf.provider}: decode+resize ${r.timings.decodeMs.toFixed(1)} ms, inference ${r.timings.inferenceMs.toFixed(1)} ms`;
    renderPredictions(ui.browserResult, r.predictions, `In this browser (${latency})`);
    showModelView(r.pixels, clf.inputSize, clf.preprocess.resize);
    lastResult = { result: r, clf };
    showWhy();
    if (ui.compare.checked && registryModel) {
      const server = await predictOnServer(registryModel, image, TOP_K);
      const d = maxDelta(r.predictions, server.predictions);
      const verdict = d <= AGREE ? 'agrees with this browser' : 'differs from this browser';
      renderPredictions(ui.serverResult, server.predictions, `On the server — ${verdict} (max |Δp| ${d.toExponential(1)})`);
      ui.serverResult.dataset['agrees'] = String(d <= AGREE);
      ui.serverResult.dataset['maxDelta'] = String(d);
    }
    status(ui.resultStatus, answerLine(name, r, clf.unknownBelow));
    ui.resultStatus.dataset['answer'] = r.label;
    ui.resultStatus.dataset['state'] = 'done';
  } catch (e) {
    status(ui.resultStatus, `Could not classify ${name}: ${message(e)}`, true);
    ui.resultStatus.dataset['state'] = 'error';
  }
}

/** Draws the resized RGB pixels the model received. */
function showModelView(rgb: Uint8Array, [h, w]: [number, number], resize: string): void {
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([rgb[i * 3] ?? 0, rgb[i * 3 + 1] ?? 0, rgb[i * 3 + 2] ?? 0, 255], i * 4);
  ui.modelView.width = w;
  ui.modelView.height = h;
  ui.modelView.getContext('2d')?.putImageData(new ImageData(rgba, w, h), 0, 0);
  ui.modelViewCaption.textContent = `What the model sees (${w}×${h}, ${resize})`;
  ui.modelViewFig.hidden = false;
}

/** Shows (toggle on) or hides the Grad-CAM view of the last classification. */
function showWhy(): void {
  const last = lastResult;
  ui.whyFig.hidden = true;
  ui.whyStatus.textContent = '';
  delete ui.whyStatus.dataset['state'];
  if (!ui.why.checked || !last) return;
  const top = last.result.predictions[0]?.label ?? '';
  const state = drawWhy(ui.whyView, last.result, last.clf.labels, last.clf.inputSize, top);
  if (!state.drawn) {
    status(ui.whyStatus, state.reason, true);
    ui.whyStatus.dataset['state'] = 'unavailable';
    return;
  }
  ui.whyCaption.textContent = `Where the model looked for ${state.label} (red: most)`;
  ui.whyFig.hidden = false;
  ui.whyStatus.dataset['state'] = 'drawn';
}

let history: HistoryRow[] = [];
let lastReport: unknown;

function showReport(json: unknown): void {
  try {
    const data = parseReport(json);
    if (data.history.length === 0) data.history = history;
    renderReport(ui.report, data);
    status(ui.reportStatus, `Report: ${data.labels.length} classes.`);
  } catch (e) {
    status(ui.reportStatus, message(e), true);
  }
}

async function onReportFiles(files: File[]): Promise<void> {
  try {
    for (const f of files) {
      const text = await f.text();
      if (/\.jsonl$/i.test(f.name)) history = parseHistoryJsonl(text);
      else lastReport = JSON.parse(text) as unknown;
    }
    if (lastReport !== undefined) showReport(lastReport);
    else status(ui.reportStatus, `Loaded ${history.length} epochs of history; now open report.json.`);
  } catch (e) {
    status(ui.reportStatus, `Could not read the report: ${message(e)}`, true);
  }
}

const handlers: InputHandlers = {
  onModel: (file) => void file.arrayBuffer().then((b) => loadModel(new Uint8Array(b), file.name, undefined)),
  onImage: (image, name) => void classify(image, name),
  onReportFiles: (files) => void onReportFiles(files),
};

wireDrop(ui.dropzone, handlers);
wirePaste(document, handlers);
ui.imageFile.addEventListener('change', () => {
  routeFiles([...(ui.imageFile.files ?? [])], handlers);
  ui.imageFile.value = '';
});
ui.modelFile.addEventListener('change', () => {
  const f = ui.modelFile.files?.[0];
  if (f) handlers.onModel(f);
});
ui.why.addEventListener('change', showWhy);
ui.reportFile.addEventListener('change', () => handlers.onReportFiles([...(ui.reportFile.files ?? [])]));
ui.loadRegistry.addEventListener('click', () => {
  const e = entries[Number(ui.registry.value)];
  if (e) void loadModel(modelUrl(e), `${e.name} v${e.version}`, e);
});
ui.loadReport.addEventListener('click', () => {
  if (!registryModel) return;
  const e = registryModel;
  status(ui.reportStatus, 'Loading report…');
  void fetch(reportUrl(e))
    .then(async (res) => {
      if (!res.ok) throw new Error(`the API has no report for ${e.name} v${e.version} (HTTP ${res.status})`);
      showReport(await res.json());
    })
    .catch((err: unknown) => status(ui.reportStatus, `Could not load the report: ${message(err)}`, true));
});

if (webcamAvailable()) {
  ui.cameraRow.hidden = false;
  ui.cameraStart.addEventListener('click', () => {
    if (cameraStream) {
      stopCamera(ui.camera, cameraStream);
      cameraStream = undefined;
      ui.camera.hidden = true;
      ui.cameraCapture.disabled = true;
      ui.cameraStart.textContent = 'Start camera';
      return;
    }
    startCamera(ui.camera)
      .then((s) => {
        cameraStream = s;
        ui.camera.hidden = false;
        ui.cameraCapture.disabled = false;
        ui.cameraStart.textContent = 'Stop camera';
      })
      .catch((e: unknown) => status(ui.resultStatus, `Camera unavailable: ${message(e)}`, true));
  });
  ui.cameraCapture.addEventListener('click', () => {
    void captureFrame(ui.camera).then((b) => classify(b, 'camera frame'));
  });
}

void listRegistry().then((list) => {
  entries = list;
  ui.registry.replaceChildren(
    ...(list.length
      ? list.map((e, i) => new Option(`${e.name} (version ${e.version})`, String(i)))
      : [new Option('(no registry on this server — open a local .onnx)', '')]),
  );
  ui.registry.disabled = list.length === 0;
  ui.loadRegistry.disabled = list.length === 0;
  ui.registry.dataset['state'] = 'ready';
  // The pre-selected registry model loads at once, unless the user already opened a model.
  const first = list[0];
  if (first !== undefined && loadSeq === 0) void loadModel(modelUrl(first), `${first.name} v${first.version}`, first);
});
