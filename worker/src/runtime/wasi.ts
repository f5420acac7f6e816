// WASI preview1 (wasi_snapshot_preview1) over the in-memory Vfs.
// Synchronous only: nothing here awaits. stdout/stderr go to a logger line by line.

import { DirNode, FileNode, Vfs, VfsError, VNode, splitPath } from "./vfs";

export const ERRNO = {
  SUCCESS: 0, TOOBIG: 1, ACCES: 2, AGAIN: 6, BADF: 8, EXIST: 20, FAULT: 21, INVAL: 28, IO: 29, ISDIR: 31,
  LOOP: 32, NAMETOOLONG: 37, NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55, NOTSUP: 58, PERM: 63,
  ROFS: 69, SPIPE: 70, NOTCAPABLE: 76,
} as const;

export const FILETYPE = { UNKNOWN: 0, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4 } as const;
const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 };
const FDFLAGS_APPEND = 1;
const RIGHT_FD_WRITE = 1n << 6n;
const RIGHTS_ALL = 0x1fffffffn;
const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 };

export type LogSink = (stream: "stdout" | "stderr", line: string) => void;

export class ProcExit extends Error {
  constructor(public code: number) {
    super(`wasm called proc_exit(${code})`);
    this.name = "ProcExit";
  }
}

interface OpenFile {
  node: VNode;
  path: string; // absolute path, for diagnostics and prestat
  offset: number;
  append: boolean;
  write: boolean;
  preopen?: string;
}

export interface WasiOptions {
  vfs: Vfs;
  args?: string[];
  env?: Record<string, string>;
  /** Directories handed to the guest as preopens, in fd order starting at 3. */
  preopens?: string[];
  log?: LogSink;
  /**
   * What `poll_oneoff` clock subscriptions (time.sleep) do: "block" waits for real with
   * Atomics.wait (node); "return" returns at once (workerd cannot block a request thread:
   * its clocks only advance across I/O). Default: "block" where Atomics.wait works, else "return".
   */
  sleep?: "block" | "return";
  /** Called before a guest sleep of `ms` (blocking or not); may throw to stop the guest (request budget). */
  onSleep?: (ms: number, blocks: boolean) => void;
  /** Extra stdin bytes (default empty). */
  stdin?: Uint8Array;
}

const te = new TextEncoder();
const td = new TextDecoder();

function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0);
    return true;
  } catch {
    return false;
  }
}

export class Wasi {
  private memory: WebAssembly.Memory | undefined;
  private readonly fds = new Map<number, OpenFile | "stdin" | "stdout" | "stderr">();
  private nextFd: number;
  private readonly args: Uint8Array[];
  private readonly env: Uint8Array[];
  private readonly log: LogSink;
  private readonly lineBuf: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
  private readonly sleepMode: "block" | "return";
  private readonly onSleep: ((ms: number, blocks: boolean) => void) | undefined;
  private readonly stdin: Uint8Array;
  private stdinOff = 0;
  private readonly monoStart = typeof performance !== "undefined" ? performance.now() : 0;
  private sleptNs = 0n;
  readonly vfs: Vfs;

  constructor(opts: WasiOptions) {
    this.vfs = opts.vfs;
    this.args = (opts.args ?? ["python"]).map((a) => te.encode(a + "\0"));
    this.env = Object.entries(opts.env ?? {}).map(([k, v]) => te.encode(`${k}=${v}\0`));
    this.log = opts.log ?? ((s, l) => (s === "stderr" ? console.error(l) : console.log(l)));
    this.sleepMode = opts.sleep ?? (canBlock() ? "block" : "return");
    this.onSleep = opts.onSleep;
    this.stdin = opts.stdin ?? new Uint8Array(0);
    this.fds.set(0, "stdin");
    this.fds.set(1, "stdout");
    this.fds.set(2, "stderr");
    let fd = 3;
    for (const p of opts.preopens ?? ["/"]) {
      const node = this.vfs.lookup(p);
      if (!node || node.kind !== "dir") throw new Error(`wasi: preopen ${p} is not a directory in the VFS`);
      this.fds.set(fd++, { node, path: p, offset: 0, append: false, write: false, preopen: p });
    }
    this.nextFd = fd;
  }

  setMemory(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  /** Flush partial stdout/stderr lines to the log. */
  flush(): void {
    for (const s of ["stdout", "stderr"] as const) {
      if (this.lineBuf[s]) {
        this.log(s, this.lineBuf[s]);
        this.lineBuf[s] = "";
      }
    }
  }

  private view(): DataView {
    if (!this.memory) throw new Error("wasi: memory not set");
    return new DataView(this.memory.buffer);
  }
  private bytes(): Uint8Array {
    if (!this.memory) throw new Error("wasi: memory not set");
    return new Uint8Array(this.memory.buffer);
  }
  private str(ptr: number, len: number): string {
    return td.decode(this.bytes().subarray(ptr, ptr + len));
  }

  private file(fd: number): OpenFile {
    const f = this.fds.get(fd);
    if (!f || typeof f === "string") throw new VfsError(ERRNO.BADF, `bad fd ${fd}`);
    return f;
  }

  private resolve(dirfd: number, path: string): { abs: string; parent: DirNode | undefined; name: string; node: VNode | undefined } {
    const d = this.file(dirfd);
    if (d.node.kind !== "dir") throw new VfsError(ERRNO.NOTDIR, `fd ${dirfd} is not a directory`);
    const abs = path.startsWith("/") ? "/" + splitPath(path).join("/") : "/" + splitPath(d.path + "/" + path).join("/");
    const parts = splitPath(abs);
    const name = parts.pop() ?? "";
    const parentNode = this.vfs.lookup("/" + parts.join("/"));
    if (parentNode && parentNode.kind !== "dir") throw new VfsError(ERRNO.NOTDIR, `not a directory: ${abs}`);
    const parent = parentNode as DirNode | undefined;
    const node = name === "" ? this.vfs.root : parent?.children.get(name);
    return { abs, parent, name, node };
  }

  private writeFilestat(ptr: number, node: VNode | "chr"): void {
    const v = this.view();
    for (let i = 0; i < 64; i += 8) v.setBigUint64(ptr + i, 0n, true);
    if (node === "chr") {
      v.setUint8(ptr + 16, FILETYPE.CHARACTER_DEVICE);
      v.setBigUint64(ptr + 24, 1n, true);
      return;
    }
    v.setBigUint64(ptr + 8, node.ino, true);
    v.setUint8(ptr + 16, node.kind === "dir" ? FILETYPE.DIRECTORY : FILETYPE.REGULAR_FILE);
    v.setBigUint64(ptr + 24, 1n, true);
    v.setBigUint64(ptr + 32, BigInt(node.kind === "dir" ? 4096 : node.size), true);
    v.setBigUint64(ptr + 40, node.mtimeNs, true);
    v.setBigUint64(ptr + 48, node.mtimeNs, true);
    v.setBigUint64(ptr + 56, node.mtimeNs, true);
  }

  private emit(stream: "stdout" | "stderr", data: Uint8Array): void {
    const text = this.lineBuf[stream] + td.decode(data);
    const lines = text.split("\n");
    this.lineBuf[stream] = lines.pop() ?? "";
    for (const l of lines) this.log(stream, l);
  }

  private ensureCapacity(f: FileNode, size: number): void {
    if (f.data.byteLength >= size) return;
    const n = new Uint8Array(Math.max(size, f.data.byteLength * 2, 64));
    n.set(f.data.subarray(0, f.size));
    f.data = n;
  }

  private nowNs(): bigint {
    return BigInt(Date.now()) * 1_000_000n + this.sleptNs;
  }
  private monoNs(): bigint {
    const ms = typeof performance !== "undefined" ? performance.now() - this.monoStart : 0;
    return BigInt(Math.round(ms * 1e6)) + this.sleptNs;
  }

  /** The import object for module `wasi_snapshot_preview1`. Unknown calls made by a module are answered with ENOSYS by `imports()`. */
  exports(): Record<string, (...a: any[]) => number | void> {
    const wrap =
      <A extends any[]>(fn: (...a: A) => number) =>
      (...a: A): number => {
        try {
          return fn(...a);
        } catch (e) {
          if (e instanceof VfsError) return e.errno;
          throw e;
        }
      };
    const self = this;
    return {
      args_sizes_get: wrap((argc: number, bufsz: number) => {
        const v = self.view();
        v.setUint32(argc, self.args.length, true);
        v.setUint32(bufsz, self.args.reduce((n, a) => n + a.byteLength, 0), true);
        return 0;
      }),
      args_get: wrap((argv: number, buf: number) => self.writeStrings(self.args, argv, buf)),
      environ_sizes_get: wrap((cnt: number, bufsz: number) => {
        const v = self.view();
        v.setUint32(cnt, self.env.length, true);
        v.setUint32(bufsz, self.env.reduce((n, a) => n + a.byteLength, 0), true);
        return 0;
      }),
      environ_get: wrap((envp: number, buf: number) => self.writeStrings(self.env, envp, buf)),
      clock_res_get: wrap((id: number, out: number) => {
        if (id > 3) return ERRNO.INVAL;
        self.view().setBigUint64(out, id === CLOCK.REALTIME ? 1_000_000n : 1_000n, true);
        return 0;
      }),
      clock_time_get: wrap((id: number, _precision: bigint, out: number) => {
        if (id > 3) return ERRNO.INVAL;
        self.view().setBigUint64(out, id === CLOCK.REALTIME ? self.nowNs() : self.monoNs(), true);
        return 0;
      }),
      random_get: wrap((ptr: number, len: number) => {
        const b = self.bytes();
        for (let off = 0; off < len; off += 65536) {
          crypto.getRandomValues(b.subarray(ptr + off, ptr + Math.min(len, off + 65536)));
        }
        return 0;
      }),
      sched_yield: () => 0,
      proc_exit: (code: number) => {
        self.flush();
        throw new ProcExit(code);
      },
      proc_raise: () => ERRNO.NOSYS,
      fd_advise: wrap((fd: number) => (self.file(fd), 0)),
      fd_allocate: wrap(() => ERRNO.NOTSUP),
      fd_datasync: wrap(() => 0),
      fd_sync: wrap(() => 0),
      fd_fdstat_set_flags: wrap(() => 0),
      fd_fdstat_set_rights: wrap(() => 0),
      fd_close: wrap((fd: number) => {
        const f = self.fds.get(fd);
        if (!f) return ERRNO.BADF;
        if (typeof f !== "string" && f.preopen) return ERRNO.NOTSUP;
        self.fds.delete(fd);
        return 0;
      }),
      fd_renumber: wrap((from: number, to: number) => {
        const f = self.fds.get(from);
        if (!f || !self.fds.has(to)) return ERRNO.BADF;
        self.fds.set(to, f);
        self.fds.delete(from);
        return 0;
      }),
      fd_fdstat_get: wrap((fd: number, out: number) => {
        const f = self.fds.get(fd);
        if (!f) return ERRNO.BADF;
        const v = self.view();
        const type = typeof f === "string" ? FILETYPE.CHARACTER_DEVICE : f.node.kind === "dir" ? FILETYPE.DIRECTORY : FILETYPE.REGULAR_FILE;
        v.setUint8(out, type);
        v.setUint16(out + 2, typeof f !== "string" && f.append ? FDFLAGS_APPEND : 0, true);
        v.setBigUint64(out + 8, RIGHTS_ALL, true);
        v.setBigUint64(out + 16, RIGHTS_ALL, true);
        return 0;
      }),
      fd_prestat_get: wrap((fd: number, out: number) => {
        const f = self.fds.get(fd);
        if (!f || typeof f === "string" || !f.preopen) return ERRNO.BADF;
        const v = self.view();
        v.setUint8(out, 0);
        v.setUint32(out + 4, te.encode(f.preopen).byteLength, true);
        return 0;
      }),
      fd_prestat_dir_name: wrap((fd: number, ptr: number, len: number) => {
        const f = self.fds.get(fd);
        if (!f || typeof f === "string" || !f.preopen) return ERRNO.BADF;
        const name = te.encode(f.preopen);
        if (len < name.byteLength) return ERRNO.NAMETOOLONG;
        self.bytes().set(name, ptr);
        return 0;
      }),
      fd_filestat_get: wrap((fd: number, out: number) => {
        const f = self.fds.get(fd);
        if (!f) return ERRNO.BADF;
        self.writeFilestat(out, typeof f === "string" ? "chr" : f.node);
        return 0;
      }),
      fd_filestat_set_size: wrap((fd: number, size: bigint) => {
        const f = self.file(fd);
        if (f.node.kind !== "file") return ERRNO.ISDIR;
        if (!f.write || !f.node.writable) return ERRNO.ROFS;
        const n = Number(size);
        self.ensureCapacity(f.node, n);
        if (n > f.node.size) f.node.data.fill(0, f.node.size, n);
        f.node.size = n;
        return 0;
      }),
      fd_filestat_set_times: wrap(() => 0),
      fd_read: wrap((fd: number, iovs: number, iovsLen: number, nread: number) => {
        const f = self.fds.get(fd);
        if (!f) return ERRNO.BADF;
        if (f === "stdout" || f === "stderr") return ERRNO.BADF;
        const v = self.view();
        const mem = self.bytes();
        let total = 0;
        if (f === "stdin") {
          for (let i = 0; i < iovsLen; i++) {
            const ptr = v.getUint32(iovs + i * 8, true);
            const len = v.getUint32(iovs + i * 8 + 4, true);
            const chunk = self.stdin.subarray(self.stdinOff, self.stdinOff + len);
            mem.set(chunk, ptr);
            self.stdinOff += chunk.byteLength;
            total += chunk.byteLength;
            if (chunk.byteLength < len) break;
          }
        } else {
          if (f.node.kind !== "file") return ERRNO.ISDIR;
          total = self.readAt(f.node, f.offset, iovs, iovsLen);
          f.offset += total;
        }
        v.setUint32(nread, total, true);
        return 0;
      }),
      fd_pread: wrap((fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number) => {
        const f = self.file(fd);
        if (f.node.kind !== "file") return ERRNO.ISDIR;
        const total = self.readAt(f.node, Number(offset), iovs, iovsLen);
        self.view().setUint32(nread, total, true);
        return 0;
      }),
      fd_write: wrap((fd: number, iovs: number, iovsLen: number, nwritten: number) => {
        const f = self.fds.get(fd);
        if (!f || f === "stdin") return ERRNO.BADF;
        const v = self.view();
        let total = 0;
        if (f === "stdout" || f === "stderr") {
          for (let i = 0; i < iovsLen; i++) {
            const ptr = v.getUint32(iovs + i * 8, true);
            const len = v.getUint32(iovs + i * 8 + 4, true);
            self.emit(f, self.bytes().subarray(ptr, ptr + len));
            total += len;
          }
        } else {
          if (f.node.kind !== "file") return ERRNO.ISDIR;
          if (!f.write || !f.node.writable) return ERRNO.ROFS;
          if (f.append) f.offset = f.node.size;
          total = self.writeAt(f.node, f.offset, iovs, iovsLen);
          f.offset += total;
        }
        self.view().setUint32(nwritten, total, true);
        return 0;
      }),
      fd_pwrite: wrap((fd: number, iovs: number, iovsLen: number, offset: bigint, nwritten: number) => {
        const f = self.file(fd);
        if (f.node.kind !== "file") return ERRNO.ISDIR;
        if (!f.write || !f.node.writable) return ERRNO.ROFS;
        const total = self.writeAt(f.node, Number(offset), iovs, iovsLen);
        self.view().setUint32(nwritten, total, true);
        return 0;
      }),
      fd_seek: wrap((fd: number, offset: bigint, whence: number, out: number) => {
        const f = self.fds.get(fd);
        if (!f) return ERRNO.BADF;
        if (typeof f === "string") return ERRNO.SPIPE;
        if (f.node.kind !== "file") return ERRNO.ISDIR;
        const base = whence === 0 ? 0 : whence === 1 ? f.offset : whence === 2 ? f.node.size : -1;
        if (base < 0) return ERRNO.INVAL;
        const pos = base + Number(offset);
        if (pos < 0) return ERRNO.INVAL;
        f.offset = pos;
        self.view().setBigUint64(out, BigInt(pos), true);
        return 0;
      }),
      fd_tell: wrap((fd: number, out: number) => {
        const f = self.fds.get(fd);
        if (!f) return ERRNO.BADF;
        if (typeof f === "string") return ERRNO.SPIPE;
        self.view().setBigUint64(out, BigInt(f.offset), true);
        return 0;
      }),
      fd_readdir: wrap((fd: number, buf: number, bufLen: number, cookie: bigint, bufused: number) => {
        const f = self.file(fd);
        if (f.node.kind !== "dir") return ERRNO.NOTDIR;
        const entries: [string, VNode][] = [
          [".", f.node],
          ["..", f.node],
          ...f.node.children,
        ];
        const mem = self.bytes();
        const v = self.view();
        let used = 0;
        for (let i = Number(cookie); i < entries.length; i++) {
          const [name, node] = entries[i]!;
          const nameBytes = te.encode(name);
          const ent = new Uint8Array(24 + nameBytes.byteLength);
          const ev = new DataView(ent.buffer);
          ev.setBigUint64(0, BigInt(i + 1), true);
          ev.setBigUint64(8, node.ino, true);
          ev.setUint32(16, nameBytes.byteLength, true);
          ev.setUint8(20, node.kind === "dir" ? FILETYPE.DIRECTORY : FILETYPE.REGULAR_FILE);
          ent.set(nameBytes, 24);
          const n = Math.min(ent.byteLength, bufLen - used);
          mem.set(ent.subarray(0, n), buf + used);
          used += n;
          if (used >= bufLen) break;
        }
        v.setUint32(bufused, used, true);
        return 0;
      }),
      path_open: wrap(
        (dirfd: number, _dirflags: number, pathPtr: number, pathLen: number, oflags: number, rightsBase: bigint, _ri: bigint, fdflags: number, out: number) => {
          const r = self.resolve(dirfd, self.str(pathPtr, pathLen));
          const wantWrite = (rightsBase & RIGHT_FD_WRITE) !== 0n || (oflags & (OFLAGS.CREAT | OFLAGS.TRUNC)) !== 0;
          let node = r.node;
          if (node && oflags & OFLAGS.CREAT && oflags & OFLAGS.EXCL) return ERRNO.EXIST;
          if (!node) {
            if (!(oflags & OFLAGS.CREAT)) return r.parent ? ERRNO.NOENT : ERRNO.NOENT;
            if (!r.parent) return ERRNO.NOENT;
            if (!r.parent.writable) return ERRNO.ROFS;
            const fnode = new FileNode(new Uint8Array(0), self.nowNs(), true);
            r.parent.children.set(r.name, fnode);
            node = fnode;
          }
          if (oflags & OFLAGS.DIRECTORY && node.kind !== "dir") return ERRNO.NOTDIR;
          if (node.kind === "dir" && wantWrite && (rightsBase & RIGHT_FD_WRITE) !== 0n) return ERRNO.ISDIR;
          if (node.kind === "file" && wantWrite && !node.writable) return ERRNO.ROFS;
          if (node.kind === "file" && oflags & OFLAGS.TRUNC) node.size = 0;
          const fd = self.nextFd++;
          self.fds.set(fd, { node, path: r.abs, offset: 0, append: (fdflags & FDFLAGS_APPEND) !== 0, write: wantWrite });
          self.view().setUint32(out, fd, true);
          return 0;
        },
      ),
      path_filestat_get: wrap((dirfd: number, _flags: number, pathPtr: number, pathLen: number, out: number) => {
        const r = self.resolve(dirfd, self.str(pathPtr, pathLen));
        if (!r.node) return ERRNO.NOENT;
        self.writeFilestat(out, r.node);
        return 0;
      }),
      path_filestat_set_times: wrap(() => 0),
      path_create_directory: wrap((dirfd: number, pathPtr: number, pathLen: number) => {
        const r = self.resolve(dirfd, self.str(pathPtr, pathLen));
        if (r.node) return ERRNO.EXIST;
        if (!r.parent) return ERRNO.NOENT;
        if (!r.parent.writable) return ERRNO.ROFS;
        r.parent.children.set(r.name, new DirNode(self.nowNs(), true));
        return 0;
      }),
      path_unlink_file: wrap((dirfd: number, pathPtr: number, pathLen: number) => {
        const r = self.resolve(dirfd, self.str(pathPtr, pathLen));
        if (!r.node || !r.parent) return ERRNO.NOENT;
        if (r.node.kind === "dir") return ERRNO.ISDIR;
        if (!r.parent.writable) return ERRNO.ROFS;
        r.parent.children.delete(r.name);
        return 0;
      }),
      path_remove_directory: wrap((dirfd: number, pathPtr: number, pathLen: number) => {
        const r = self.resolve(dirfd, self.str(pathPtr, pathLen));
        if (!r.node || !r.parent) return ERRNO.NOENT;
        if (r.node.kind !== "dir") return ERRNO.NOTDIR;
        if (r.node.children.size) return ERRNO.NOTEMPTY;
        if (!r.parent.writable) return ERRNO.ROFS;
        r.parent.children.delete(r.name);
        return 0;
      }),
      path_rename: wrap((fd1: number, p1: number, l1: number, fd2: number, p2: number, l2: number) => {
        const a = self.resolve(fd1, self.str(p1, l1));
        const b = self.resolve(fd2, self.str(p2, l2));
        if (!a.node || !a.parent) return ERRNO.NOENT;
        if (!b.parent) return ERRNO.NOENT;
        if (!a.parent.writable || !b.parent.writable) return ERRNO.ROFS;
        a.parent.children.delete(a.name);
        b.parent.children.set(b.name, a.node);
        return 0;
      }),
      path_readlink: wrap((dirfd: number, pathPtr: number, pathLen: number) => {
        const r = self.resolve(dirfd, self.str(pathPtr, pathLen));
        return r.node ? ERRNO.INVAL : ERRNO.NOENT; // the VFS has no symlinks
      }),
      path_symlink: wrap(() => ERRNO.NOTSUP),
      path_link: wrap(() => ERRNO.NOTSUP),
      poll_oneoff: wrap((inPtr: number, outPtr: number, nsubs: number, neventsPtr: number) => self.pollOneoff(inPtr, outPtr, nsubs, neventsPtr)),
      sock_accept: () => ERRNO.NOTSUP,
      sock_recv: () => ERRNO.NOTSUP,
      sock_send: () => ERRNO.NOTSUP,
      sock_shutdown: () => ERRNO.NOTSUP,
    };
  }

  private writeStrings(items: Uint8Array[], ptrs: number, buf: number): number {
    const v = this.view();
    const mem = this.bytes();
    let off = buf;
    items.forEach((s, i) => {
      v.setUint32(ptrs + i * 4, off, true);
      mem.set(s, off);
      off += s.byteLength;
    });
    return 0;
  }

  private readAt(node: FileNode, offset: number, iovs: number, iovsLen: number): number {
    const v = this.view();
    const mem = this.bytes();
    let total = 0;
    let pos = offset;
    for (let i = 0; i < iovsLen && pos < node.size; i++) {
      const ptr = v.getUint32(iovs + i * 8, true);
      const len = v.getUint32(iovs + i * 8 + 4, true);
      const n = Math.min(len, node.size - pos);
      mem.set(node.data.subarray(pos, pos + n), ptr);
      pos += n;
      total += n;
    }
    return total;
  }

  private writeAt(node: FileNode, offset: number, iovs: number, iovsLen: number): number {
    const v = this.view();
    let total = 0;
    for (let i = 0; i < iovsLen; i++) {
      const ptr = v.getUint32(iovs + i * 8, true);
      const len = v.getUint32(iovs + i * 8 + 4, true);
      this.ensureCapacity(node, offset + total + len);
      node.data.set(this.bytes().subarray(ptr, ptr + len), offset + total);
      total += len;
    }
    node.size = Math.max(node.size, offset + total);
    node.mtimeNs = this.nowNs();
    return total;
  }

  private pollOneoff(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
    // subscription: userdata u64 @0, tag u8 @8, then clock {id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40}; 48 bytes.
    // event: userdata u64 @0, error u16 @8, type u8 @10, fd_readwrite {nbytes u64 @16, flags u16 @24}; 32 bytes.
    const v = this.view();
    let events = 0;
    let sleepNs = 0n;
    for (let i = 0; i < nsubs; i++) {
      const s = inPtr + i * 48;
      const userdata = v.getBigUint64(s, true);
      const tag = v.getUint8(s + 8);
      const e = outPtr + events * 32;
      for (let k = 0; k < 32; k += 8) v.setBigUint64(e + k, 0n, true);
      v.setBigUint64(e, userdata, true);
      v.setUint8(e + 10, tag);
      if (tag === 0) {
        const clockId = v.getUint32(s + 16, true);
        const timeout = v.getBigUint64(s + 24, true);
        const abstime = (v.getUint16(s + 40, true) & 1) !== 0;
        let wait = timeout;
        if (abstime) {
          const now = clockId === CLOCK.REALTIME ? this.nowNs() : this.monoNs();
          wait = timeout > now ? timeout - now : 0n;
        }
        if (wait > sleepNs) sleepNs = wait;
      } else {
        // fd_read/fd_write readiness: the VFS and stdio never block.
        v.setBigUint64(e + 16, 0n, true);
      }
      events++;
    }
    if (sleepNs > 0n) {
      this.onSleep?.(Number(sleepNs / 1_000_000n), this.sleepMode === "block");
      if (this.sleepMode === "block") {
        const ms = Number(sleepNs / 1_000_000n);
        if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      } else {
        // No blocking possible here: account the time so the guest's clocks still move forward.
        this.sleptNs += sleepNs;
      }
    }
    v.setUint32(neventsPtr, events, true);
    return 0;
  }
}
