/** The parts of a decoded foreign ONNX model that the base tools read and edit (int64s may be protobufjs Longs). */

/** An int64 as protobufjs decodes it: a number, or a Long when the `long` package is present. */
export type Int64 = number | { toNumber(): number };

/** An int64 field as a number. */
export function intOf(v: Int64): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/** One dimension of a tensor shape. */
export interface PDim {
  dimValue?: Int64 | null;
  dimParam?: string | null;
}

/** A graph input/output/value_info entry. */
export interface PValueInfo {
  name: string;
  type?: { tensorType?: { elemType: number; shape?: { dim: PDim[] } } };
}

/** An initializer. */
export interface PTensor {
  name: string;
  dataLocation?: Int64;
  externalData?: { key: string; value: string }[];
  rawData?: Uint8Array;
}

/** A node attribute (only what truncation walks: subgraphs). */
export interface PAttr {
  name: string;
  g?: PGraph | null;
  graphs?: PGraph[];
}

/** A node. */
export interface PNode {
  name: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute?: PAttr[];
}

/** A graph. */
export interface PGraph {
  name: string;
  node: PNode[];
  initializer: PTensor[];
  sparseInitializer?: { values?: PTensor | null }[];
  input: PValueInfo[];
  output: PValueInfo[];
  valueInfo?: PValueInfo[];
}

/** A model. */
export interface PModel {
  irVersion: Int64;
  opsetImport: { domain: string; version: Int64 }[];
  metadataProps?: { key: string; value: string }[];
  graph: PGraph;
}
