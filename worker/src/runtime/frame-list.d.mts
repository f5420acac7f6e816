// Types of frame-list.mjs (the host ABI's frame list codec, docs/abi.md §1).

export type FieldInput = Uint8Array | ArrayBuffer | string;

/** A field as bytes: a string as UTF-8, a Uint8Array as it is, an ArrayBuffer viewed. */
export function toBytes(f: FieldInput): Uint8Array;

/** Encode fields into one frame list. */
export function encodeFrames(fields: FieldInput[]): Uint8Array;

export class FrameError extends Error {
  constructor(message: string);
}

/** Decode a frame list. Field views share the input's buffer (no copy). */
export function decodeFrames(buf: Uint8Array): Uint8Array[];
