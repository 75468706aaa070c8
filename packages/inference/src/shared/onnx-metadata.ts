import { HeadstartError } from '@headstart/core';

/**
 * A minimal protobuf reader for the one part of an ONNX ModelProto that onnxruntime does not
 * expose: `metadata_props` (field 14, repeated StringStringEntryProto {key = 1, value = 2}).
 * The rest of the model (the graph, weights) is skipped by length, so this is cheap on big files.
 */

const METADATA_PROPS_FIELD = 14;
const decoder = new TextDecoder('utf-8', { fatal: false });

class Reader {
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    readonly end: number = bytes.length,
    start = 0,
  ) {
    this.pos = start;
  }

  /** Reads a varint as a JS number (exact up to 2^53; larger values only need skipping here). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint', this.pos);
      const b = this.bytes[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw malformed('varint longer than 10 bytes', this.pos);
  }

  /** Returns [start, end) of a length-delimited field and moves past it. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    const end = start + len;
    if (end > this.end) throw malformed(`length ${len} runs past the end of its message`, start);
    this.pos = end;
    return [start, end];
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.advance(8);
    else if (wireType === 2) this.span();
    else if (wireType === 5) this.advance(4);
    else throw malformed(`unsupported protobuf wire type ${wireType}`, this.pos);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw malformed('truncated fixed-width field', this.pos);
    this.pos += n;
  }
}

function malformed(what: string, offset: number): HeadstartError {
  return new HeadstartError('MODEL_INVALID', `Not a valid ONNX model file: ${what} at byte ${offset}.`, {
    details: { offset },
  });
}

/** Reads ONNX `metadata_props` into a plain record (later duplicates win). Throws MODEL_INVALID on malformed bytes. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const top = new Reader(bytes);
  while (top.pos < top.end) {
    const tag = top.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === METADATA_PROPS_FIELD && wire === 2) {
      const [start, end] = top.span();
      const entry = new Reader(bytes, end, start);
      let key = '';
      let value = '';
      while (entry.pos < entry.end) {
        const t = entry.varint();
        const f = Math.floor(t / 8);
        const w = t & 7;
        if ((f === 1 || f === 2) && w === 2) {
          const [s, e] = entry.span();
          const text = decoder.decode(bytes.subarray(s, e));
          if (f === 1) key = text;
          else value = text;
        } else {
          entry.skip(w);
        }
      }
      out[key] = value;
    } else {
      top.skip(wire);
    }
  }
  return out;
}
