/** Grad-CAM from an exported model's `cam` output (onnxruntime-node): `headstart explain model.onnx`. */
import { classChannel, HeadstartError, normalizeHeat, ONNX_CAM_OUTPUT, overlayHeat, parseHeadstartMetadata, readOnnxMetadata, type Explanation } from '@headstart/core';
import { decodeForModel } from './decode.ts';
import { createSession, readModelBytes } from './session.ts';

const CAM_OUTPUT = ONNX_CAM_OUTPUT;

/**
 * Explains one encoded image with an exported model that has the `cam` output ([N, h, w, classes]):
 * the top label, or `label`. A model without it is refused with what to pass instead.
 * @example const e = await explainOnnx('runs/pets/model.onnx', await readFile('cat.jpg'));
 */
export async function explainOnnx(model: string | Uint8Array, image: Uint8Array, opts: { label?: string } = {}): Promise<Explanation> {
  const source = typeof model === 'string' ? model : '<onnx bytes>';
  const bytes = await readModelBytes(model);
  const session = await createSession(bytes);
  try {
    const probsName = session.outputNames.includes('probabilities') ? 'probabilities' : session.outputNames[0];
    if (!session.outputNames.includes(CAM_OUTPUT) || probsName === undefined) {
      throw new HeadstartError(
        'EXPLAIN_UNAVAILABLE',
        `cannot explain with ${source}: it has no Grad-CAM output "${CAM_OUTPUT}" (exported before Headstart added it — re-export with headstart export RUN — or its head has dense blocks, whose gradients depend on the image); pass the run folder that holds model/model.json instead, e.g. headstart explain runs/NAME image.png`,
        { details: { file: source } },
      );
    }
    const width = session.shapeOf(probsName)?.at(-1);
    const info = parseHeadstartMetadata(readOnnxMetadata(bytes), typeof width === 'number' ? width : undefined);
    const wanted = opts.label === undefined ? undefined : info.labels.indexOf(opts.label);
    if (wanted === -1) throw new HeadstartError('USAGE', `--label ${opts.label}: ${source} has no such label; its labels are ${info.labels.join(', ')}`);
    const [h, w] = info.inputSize;
    const rgb = await decodeForModel(image, { ...info.preprocess, size: info.inputSize });
    const inputName = session.inputNames.includes('pixels') ? 'pixels' : (session.inputNames[0] as string);
    const out = await session.run({ [inputName]: { data: Float32Array.from(rgb), dims: [1, h, w, 3] } }, [probsName, CAM_OUTPUT]);
    const probs = out[probsName]!.data;
    const cam = out[CAM_OUTPUT]!;
    const [, ch, cw, classes] = cam.dims as [number, number, number, number];
    let top = 0;
    for (let i = 1; i < probs.length; i++) if ((probs[i] as number) > (probs[top] as number)) top = i;
    const index = wanted ?? top;
    const heat = normalizeHeat(classChannel(cam.data, ch, cw, classes, index));
    return {
      label: info.labels[index] as string,
      probability: probs[index] as number,
      top: { label: info.labels[top] as string, probability: probs[top] as number },
      heat,
      pixels: rgb,
      overlay: overlayHeat(rgb, h, w, heat),
      size: [h, w],
      source: `ONNX output ${CAM_OUTPUT}`,
    };
  } finally {
    await session.release();
  }
}
