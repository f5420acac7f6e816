// In-memory file system backing the WASI implementation.
// Read-only trees come from bundle data modules (stdlib zip, site/app image);
// directories marked writable (e.g. /tmp) accept new files and writes.

import { decodeFrames, encodeFrames, utf8 } from "./frames";

let nextIno = 1n;

export class FileNode {
  readonly kind = "file" as const;
  readonly ino = nextIno++;
  constructor(
    public data: Uint8Array,
    public mtimeNs: bigint,
    public writable: boolean,
  ) {}
  /** Logical size (data may be over-allocated for writes). */
  size = 0;
}

export class DirNode {
  readonly kind = "dir" as const;
  readonly ino = nextIno++;
  readonly children = new Map<string, FileNode | DirNode>();
  constructor(
    public mtimeNs: bigint,
    public writable: boolean,
  ) {}
}

export type VNode = FileNode | DirNode;

export class VfsError extends Error {
  constructor(
    public errno: number,
    message: string,
  ) {
    super(message);
  }
}

/** Split an absolute or relative path into normalised components ("." and ".." resolved, clamped at root). */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

export class Vfs {
  readonly root: DirNode;
  private readonly epochNs: bigint;

  constructor(opts: { mtimeNs?: bigint } = {}) {
    this.epochNs = opts.mtimeNs ?? 1_700_000_000_000_000_000n;
    this.root = new DirNode(this.epochNs, false);
  }

  /** Ensure a directory exists at `path` (creating parents); returns it. */
  mkdirp(path: string, writable = false): DirNode {
    let dir = this.root;
    for (const part of splitPath(path)) {
      let child = dir.children.get(part);
      if (!child) {
        child = new DirNode(this.epochNs, writable || dir.writable);
        dir.children.set(part, child);
      } else if (child.kind !== "dir") {
        throw new Error(`vfs: ${path}: ${part} is a file`);
      }
      dir = child;
    }
    if (writable) dir.writable = true;
    return dir;
  }

  /** Add (or replace) a read-only file. The bytes are not copied. */
  addFile(path: string, data: Uint8Array, opts: { writable?: boolean } = {}): FileNode {
    const parts = splitPath(path);
    const name = parts.pop();
    if (!name) throw new Error(`vfs: invalid file path ${JSON.stringify(path)}`);
    const dir = this.mkdirp("/" + parts.join("/"));
    const node = new FileNode(data, this.epochNs, opts.writable ?? dir.writable);
    node.size = data.byteLength;
    dir.children.set(name, node);
    return node;
  }

  /** Look a path up from `base` (default root). Returns undefined if missing. Throws ENOTDIR via VfsError. */
  lookup(path: string, base: DirNode = this.root): VNode | undefined {
    let node: VNode = path.startsWith("/") ? this.root : base;
    for (const part of splitPath(path)) {
      if (node.kind !== "dir") throw new VfsError(54, `not a directory: ${path}`);
      const next: VNode | undefined = node.children.get(part);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  /** Mount an image produced by `encodeVfsImage` under `prefix` (default: the paths are absolute). */
  mountImage(image: Uint8Array, prefix = "/"): number {
    const fields = decodeFrames(image);
    if (fields.length % 2 !== 0) throw new Error("vfs image: odd number of fields (expected path/content pairs)");
    let n = 0;
    for (let i = 0; i < fields.length; i += 2) {
      const p = utf8(fields[i]!);
      this.addFile(prefix.replace(/\/$/, "") + "/" + p.replace(/^\//, ""), fields[i + 1]!);
      n++;
    }
    return n;
  }

  /** List every file (absolute path → size); for diagnostics and tests. */
  listFiles(): Map<string, number> {
    const out = new Map<string, number>();
    const walk = (d: DirNode, prefix: string) => {
      for (const [name, child] of d.children) {
        const p = prefix + "/" + name;
        if (child.kind === "dir") walk(child, p);
        else out.set(p, child.size);
      }
    };
    walk(this.root, "");
    return out;
  }
}

/**
 * VFS image format ("pvfs"): a frame list (docs/abi.md §1 codec) of alternating
 * fields `path` (UTF-8, absolute, e.g. "/app/src/entry.py") and `content`.
 */
export function encodeVfsImage(files: Iterable<[string, Uint8Array]>): Uint8Array {
  const fields: Uint8Array[] = [];
  const te = new TextEncoder();
  for (const [p, data] of files) {
    fields.push(te.encode(p), data);
  }
  return encodeFrames(fields);
}
