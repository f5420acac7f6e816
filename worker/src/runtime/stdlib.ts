// The host side of binding-call kind `stdlib` (docs/abi.md §2): the compiled code of a stdlib module that the
// bundle keeps among the Worker's static assets instead of its upload (scripts/stdlib-assets.mjs holds the layout;
// pylib/pymode/_wasi/lazy_stdlib.py asks). Each group (every module under one top-level name) is read once per
// isolate, through `readAsset`, and shared by the isolate's instances.
import { HostError, STATUS } from "./bindings";
import { decodeFrames, utf8 } from "./frames";

export const STDLIB_KIND = "stdlib";
export const STDLIB_ASSET_PREFIX = "/__pymode/stdlib/";

/** Reads one static asset by its path (e.g. `/__pymode/stdlib/email.bin`); rejects with a HostError. */
export type AssetReader = (path: string) => Promise<Uint8Array>;

export class StdlibAssets {
  private readonly groups = new Map<string, Promise<Map<string, Uint8Array>>>();
  /** Asset reads made (one per group and isolate unless a read failed): the benchmark and tests count them. */
  reads = 0;

  constructor(private readonly readAsset: AssetReader) {}

  /** The bytes of one zip entry (`email/message.pyc`). */
  async entry(entry: string): Promise<Uint8Array> {
    const group = entry.split("/", 1)[0]!.replace(/\.pyc$/, "");
    // top-level names of the stdlib zip, e.g. `email`, `_sysconfigdata__wasi_wasm32-wasi`; never a path
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(group)) throw new HostError(STATUS.INVALID_ARGUMENT, `stdlib: not a stdlib entry: ${JSON.stringify(entry)}`);
    let files = this.groups.get(group);
    if (!files) {
      files = this.load(group);
      this.groups.set(group, files);
      // a failed read is not remembered: the next import tries again
      files.catch(() => this.groups.delete(group));
    }
    const bytes = (await files).get(entry);
    if (!bytes) throw new HostError(STATUS.INVALID_ARGUMENT, `stdlib: the asset group ${group} has no ${entry}`);
    return bytes;
  }

  private async load(group: string): Promise<Map<string, Uint8Array>> {
    this.reads++;
    const fields = decodeFrames(await this.readAsset(`${STDLIB_ASSET_PREFIX}${group}.bin`));
    const files = new Map<string, Uint8Array>();
    for (let i = 0; i + 1 < fields.length; i += 2) files.set(utf8(fields[i]!), fields[i + 1]!);
    return files;
  }
}

/** An AssetReader over a Workers assets binding (`env.PYMODE_ASSETS`). */
export function assetsBindingReader(binding: { fetch(input: string): Promise<Response> } | undefined, name: string): AssetReader {
  return async (path) => {
    if (!binding || typeof binding.fetch !== "function") {
      throw new HostError(STATUS.NOT_SUPPORTED, `the bundle keeps stdlib modules in static assets, but the Worker has no ${name} assets binding`);
    }
    let r: Response;
    try {
      r = await binding.fetch(`https://pymode-assets.internal${path}`);
    } catch (e) {
      throw new HostError(STATUS.IO, `reading the static asset ${path}: ${(e as Error).message}`);
    }
    if (!r.ok) throw new HostError(STATUS.IO, `reading the static asset ${path}: ${name} answered ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  };
}
