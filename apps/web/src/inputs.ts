/** Wires every way a file reaches the page: drag-and-drop, pickers, paste, and webcam capture. */

export interface InputHandlers {
  onModel(file: File): void;
  onImage(image: Blob, name: string): void;
  onReportFiles(files: File[]): void;
}

/** Routes dropped or pasted files by kind: .onnx → model, .json/.jsonl → report, images → classify. */
export function routeFiles(files: File[], h: InputHandlers): void {
  const reports = files.filter((f) => /\.jsonl?$/i.test(f.name));
  if (reports.length) h.onReportFiles(reports);
  for (const f of files) {
    if (/\.onnx$/i.test(f.name)) h.onModel(f);
    else if (f.type.startsWith('image/') || /\.(png|jpe?g|webp|gif|bmp|avif)$/i.test(f.name)) h.onImage(f, f.name);
  }
}

/** Drag-and-drop anywhere on the page, with a highlighted drop zone. */
export function wireDrop(zone: HTMLElement, h: InputHandlers): void {
  const doc = zone.ownerDocument;
  doc.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  doc.addEventListener('dragleave', (e) => {
    if (e.relatedTarget === null) zone.classList.remove('dragging');
  });
  doc.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    routeFiles([...(e.dataTransfer?.files ?? [])], h);
  });
  // The zone is a keyboard-operable button that opens the image picker.
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      zone.click();
    }
  });
}

/** Paste an image (e.g. a screenshot) from the clipboard. */
export function wirePaste(doc: Document, h: InputHandlers): void {
  doc.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length) {
      e.preventDefault();
      routeFiles(files.map((f, i) => (f.name ? f : new File([f], `pasted-${i}.png`, { type: f.type }))), h);
    }
  });
}

/** Webcam: start/stop a stream into `video`; `capture` grabs the current frame as a PNG blob. */
export function webcamAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';
}

export async function startCamera(video: HTMLVideoElement): Promise<MediaStream> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  video.srcObject = stream;
  await video.play();
  return stream;
}

export function stopCamera(video: HTMLVideoElement, stream: MediaStream | undefined): void {
  stream?.getTracks().forEach((t) => t.stop());
  video.srcObject = null;
}

export async function captureFrame(video: HTMLVideoElement): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d')?.drawImage(video, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('Could not capture a frame from the camera.'))), 'image/png'),
  );
}
