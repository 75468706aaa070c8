/**
 * A Keras 2 (`model_config`) or Keras 3 (`config.json`) model config → a TF.js layers functional
 * topology (Keras 2 spelling, which tfjs-layers deserialises), with each layer's variable names.
 */
import { HeadstartError } from '@headstart/core';
import type { KerasLayerJson } from '@headstart/core';
import { LAYER_RULES } from './layer-rules.ts';

type Cfg = Record<string, unknown>;

/** One Keras layer's variables: their Keras names in saving order and the TF.js weight each becomes. */
export interface LayerWeights {
  /** The Keras layer (where the file stores the variables). */
  name: string;
  kerasClass: string;
  vars: string[];
  /** TF.js weight name per entry of `vars`. */
  targets: string[];
}

/** The converted topology and the weights of every layer that has some. */
export interface ConvertedTopology {
  modelTopology: Record<string, unknown>;
  layers: LayerWeights[];
}

type Ref = [string, number, number, Cfg];

/** Keras 3 inbound node `{args, kwargs}` → Keras 2 refs, from the `keras_history` of every tensor in args. */
function refsOf(node: unknown): Ref[] {
  if (Array.isArray(node)) {
    // Keras 2: [[name, node, tensor, kwargs], ...]
    return node.map((r) => {
      const a = r as unknown[];
      return [String(a[0]), Number(a[1] ?? 0), Number(a[2] ?? 0), (a[3] as Cfg | undefined) ?? {}];
    });
  }
  const out: Ref[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Cfg;
      if (o['class_name'] === '__keras_tensor__') {
        const h = (o['config'] as Cfg | undefined)?.['keras_history'] as unknown[] | undefined;
        if (h) out.push([String(h[0]), Number(h[1] ?? 0), Number(h[2] ?? 0), {}]);
      } else if ('args' in o) visit(o['args']);
    }
  };
  visit(node);
  return out;
}

/** `[name, 0, 0]` or `[[name, 0, 0], ...]` → the nested form. */
function ioRefs(v: unknown): [string, number, number][] {
  const a = (v ?? []) as unknown[];
  const list = typeof a[0] === 'string' ? [a] : a;
  return list.map((r) => {
    const x = r as unknown[];
    return [String(x[0]), Number(x[1] ?? 0), Number(x[2] ?? 0)];
  });
}

function inputShape(c: Cfg, where: string): (number | null)[] {
  const s = (c['batch_input_shape'] ?? c['batch_shape'] ?? (c['input_shape'] ? [null, ...(c['input_shape'] as unknown[])] : undefined)) as (number | null)[] | undefined;
  if (!s || s.length !== 4) throw new HeadstartError('UNSUPPORTED_LAYER', `${where}: the input must be an image batch [batch, height, width, channels]; found ${JSON.stringify(s)}`);
  return s;
}

function layerName(l: Cfg): string {
  return String(l['name'] ?? (l['config'] as Cfg | undefined)?.['name'] ?? '');
}

/** Converts a Keras model config (the object with `class_name` and `config`). Unsupported layers are all named in one error. */
export function convertKerasTopology(model: Cfg, where: string): ConvertedTopology {
  const cls = String(model['class_name'] ?? '');
  const cfg = model['config'] as Cfg | undefined;
  if (!cfg || !Array.isArray(cfg['layers'])) throw new HeadstartError('MODEL_INVALID', `${where} has no model config with a layer list`);
  const raw = cfg['layers'] as Cfg[];
  const sequential = cls === 'Sequential';
  const nested = raw.filter((l) => ['Functional', 'Model', 'Sequential'].includes(String(l['class_name'])));
  const unknown = raw.filter((l) => l['class_name'] !== 'InputLayer' && !LAYER_RULES[String(l['class_name'])] && !nested.includes(l));
  if (nested.length > 0 || unknown.length > 0) {
    const names = [...unknown, ...nested].map((l) => `${layerName(l)} (${String(l['class_name'])})`);
    throw new HeadstartError(
      'UNSUPPORTED_LAYER',
      `${where}: unsupported layer${names.length > 1 ? 's' : ''} ${names.join(', ')}${nested.length > 0 ? '; nested models: save the inner model on its own' : ''}. Supported: InputLayer, ${Object.keys(LAYER_RULES).join(', ')}`,
      { details: { layers: names } },
    );
  }
  const layers: KerasLayerJson[] = [];
  const info: ConvertedTopology['layers'] = [];
  let previous: string | undefined;
  for (const [i, l] of raw.entries()) {
    const name = layerName(l);
    const c = (l['config'] ?? {}) as Cfg;
    const kerasClass = String(l['class_name']);
    if (kerasClass === 'InputLayer') {
      layers.push({ name, class_name: 'InputLayer', config: { batch_input_shape: inputShape(c, `${where} layer ${name}`), dtype: 'float32', sparse: false, name }, inbound_nodes: [] });
      previous = name;
      continue;
    }
    if (sequential && previous === undefined) {
      // Keras 2 Sequential without an InputLayer entry: the first layer carries the input shape.
      const input = `${name}_input`;
      layers.push({ name: input, class_name: 'InputLayer', config: { batch_input_shape: inputShape(c, `${where} layer ${name}`), dtype: 'float32', sparse: false, name: input }, inbound_nodes: [] });
      previous = input;
    }
    const rule = LAYER_RULES[kerasClass];
    if (!rule) throw new HeadstartError('UNSUPPORTED_LAYER', `${where}: unsupported layer ${name} (${kerasClass})`);
    let config: Cfg;
    try {
      config = { name, trainable: c['trainable'] !== false, dtype: 'float32', ...rule.config(c) };
    } catch (e) {
      if (e instanceof HeadstartError) throw new HeadstartError(e.code, `${where} layer ${name} (${kerasClass}): ${e.message}`, { cause: e, details: { layer: name } });
      throw e;
    }
    const nodes = sequential ? [[[previous as string, 0, 0, {}]]] : ((l['inbound_nodes'] ?? []) as unknown[]).map((n) => refsOf(n));
    if (!sequential && nodes.length === 0) throw new HeadstartError('MODEL_INVALID', `${where}: layer ${name} (#${i}) has no inbound nodes`);
    const vars = rule.vars(c);
    if (kerasClass === 'SeparableConv2D' && config['depth_multiplier'] !== 1) {
      // tfjs-layers does not serialise SeparableConv2D's depthMultiplier (a saved run would reload
      // with 1): split into the identical DepthwiseConv2D (no bias) + 1×1 Conv2D pair.
      const dw = `${name}_depthwise`;
      const { filters, activation, use_bias, ...spatial } = config;
      layers.push({ name: dw, class_name: 'DepthwiseConv2D', config: { ...spatial, name: dw, activation: 'linear', use_bias: false }, inbound_nodes: nodes });
      const pw = { name, trainable: config['trainable'], dtype: 'float32', filters, kernel_size: [1, 1], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], activation, use_bias };
      layers.push({ name, class_name: 'Conv2D', config: pw, inbound_nodes: [[[dw, 0, 0, {}]]] });
      info.push({ name, kerasClass, vars, targets: [`${dw}/depthwise_kernel`, `${name}/kernel`, ...(use_bias === false ? [] : [`${name}/bias`])] });
    } else {
      layers.push({ name, class_name: rule.className ?? kerasClass, config, inbound_nodes: nodes });
      const renamed = kerasClass === 'Normalization' ? ['moving_mean', 'moving_variance'] : vars;
      if (vars.length > 0) info.push({ name, kerasClass, vars, targets: renamed.map((v) => `${name}/${v}`) });
    }
    previous = name;
  }
  const inputs = sequential ? [[layers[0]?.name ?? '', 0, 0]] : ioRefs(cfg['input_layers']);
  const outputs = sequential ? [[previous ?? '', 0, 0]] : ioRefs(cfg['output_layers']);
  if (inputs.length !== 1 || outputs.length !== 1) throw new HeadstartError('UNSUPPORTED_LAYER', `${where}: models with ${inputs.length} inputs and ${outputs.length} outputs are not supported as bases (need one of each)`);
  const modelTopology = { class_name: 'Model', config: { name: String(cfg['name'] ?? 'keras_model'), layers, input_layers: inputs, output_layers: outputs }, backend: 'tensorflow' };
  return { modelTopology, layers: info };
}
