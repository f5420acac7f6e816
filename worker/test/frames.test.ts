import { describe, expect, it } from "vitest";
import {
  FrameError,
  decodeFrames,
  decodeHttpRequest,
  decodeHttpResponse,
  encodeFrames,
  encodeHttpRequest,
  encodeHttpResponse,
} from "../src/runtime/frames";

describe("frame codec (docs/abi.md §1)", () => {
  it("encodes u32 LE length + bytes per field, no count prefix", () => {
    const f = encodeFrames(["get", '{"key":"a"}', new Uint8Array([0, 255])]);
    expect([...f.subarray(0, 7)]).toEqual([3, 0, 0, 0, 0x67, 0x65, 0x74]);
    expect(f.byteLength).toBe(4 + 3 + 4 + 11 + 4 + 2);
    const d = decodeFrames(f);
    expect(d.map((x) => x.byteLength)).toEqual([3, 11, 2]);
    expect([...d[2]!]).toEqual([0, 255]);
  });

  it("round-trips empty fields and an empty list", () => {
    expect(decodeFrames(new Uint8Array(0))).toEqual([]);
    const d = decodeFrames(encodeFrames(["", new Uint8Array(0), "x"]));
    expect(d.map((x) => x.byteLength)).toEqual([0, 0, 1]);
  });

  it("decodes from a subarray with a non-zero byteOffset", () => {
    const inner = encodeFrames(["abc", "de"]);
    const outer = new Uint8Array(inner.byteLength + 5);
    outer.set(inner, 5);
    expect(decodeFrames(outer.subarray(5)).map((x) => new TextDecoder().decode(x))).toEqual(["abc", "de"]);
  });

  it("rejects truncated headers and overlong lengths", () => {
    expect(() => decodeFrames(new Uint8Array([1, 0]))).toThrow(FrameError);
    expect(() => decodeFrames(new Uint8Array([5, 0, 0, 0, 1, 2]))).toThrow(/declares 5 bytes/);
  });

  it("handles 1 MiB binary fields", () => {
    const big = new Uint8Array(1 << 20).map((_, i) => i & 255);
    const d = decodeFrames(encodeFrames(["put", "{}", big]));
    expect(d[2]!.byteLength).toBe(1 << 20);
    expect(d[2]![4097]).toBe(4097 & 255);
  });

  it("HTTP request and response frames (§5)", () => {
    const req = encodeHttpRequest({ method: "POST", url: "https://x/y?q=1", headers: [["a", "b"]] }, new Uint8Array([1, 2, 3]));
    const r = decodeHttpRequest(req);
    expect(r.head).toEqual({ method: "POST", url: "https://x/y?q=1", headers: [["a", "b"]] });
    expect([...r.body]).toEqual([1, 2, 3]);
    expect(new TextDecoder().decode(decodeFrames(req)[0])).toBe("request");
    const resp = decodeHttpResponse(encodeHttpResponse({ status: 201, headers: [["set-cookie", "a=1"], ["set-cookie", "b=2"]] }, new Uint8Array([9])));
    expect(resp.head.status).toBe(201);
    expect(resp.head.headers).toHaveLength(2);
    expect(() => decodeHttpResponse(encodeFrames(['{"nostatus":1}']))).toThrow(FrameError);
  });
});
