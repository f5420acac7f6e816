import { describe, expect, it } from "vitest";
import { ERRNO, FILETYPE, ProcExit, Wasi } from "../src/runtime/wasi";
import { Vfs, encodeVfsImage } from "../src/runtime/vfs";
import { buildVfs } from "../src/runtime/config";

const te = new TextEncoder();
const td = new TextDecoder();

function setup(opts: { env?: Record<string, string>; args?: string[]; preopens?: string[] } = {}) {
  const vfs = new Vfs();
  vfs.addFile("/lib/python313.zip", te.encode("PK-zip-bytes"));
  vfs.mountImage(encodeVfsImage([
    ["/app/src/entry.py", te.encode("print('hi')\n")],
    ["/app/src/helpers.py", te.encode("X = 1\n")],
    ["/lib/site/pymode/__init__.py", te.encode("")],
  ]));
  vfs.mkdirp("/tmp", true);
  const logs: [string, string][] = [];
  const wasi = new Wasi({ vfs, log: (s, l) => logs.push([s, l]), preopens: opts.preopens ?? ["/"], env: opts.env, args: opts.args });
  const memory = new WebAssembly.Memory({ initial: 2 });
  wasi.setMemory(memory);
  const w = wasi.exports() as Record<string, (...a: any[]) => number>;
  const v = () => new DataView(memory.buffer);
  const mem = () => new Uint8Array(memory.buffer);
  const putStr = (ptr: number, s: string) => {
    const b = te.encode(s);
    mem().set(b, ptr);
    return b.byteLength;
  };
  const open = (path: string, oflags = 0, rights = 0x2n, fdflags = 0): [number, number] => {
    const n = putStr(1000, path);
    const rc = w.path_open!(3, 0, 1000, n, oflags, rights, 0n, fdflags, 900);
    return [rc, v().getUint32(900, true)];
  };
  const read = (fd: number, len: number): [number, string] => {
    v().setUint32(800, 2000, true);
    v().setUint32(804, len, true);
    const rc = w.fd_read!(fd, 800, 1, 808);
    return [rc, td.decode(mem().subarray(2000, 2000 + v().getUint32(808, true)))];
  };
  const write = (fd: number, s: string): number => {
    const n = putStr(3000, s);
    v().setUint32(800, 3000, true);
    v().setUint32(804, n, true);
    return w.fd_write!(fd, 800, 1, 808);
  };
  return { vfs, wasi, w, v, mem, logs, putStr, open, read, write };
}

describe("WASI preview1 over the in-memory VFS", () => {
  it("preopens: fd_prestat_get / fd_prestat_dir_name, EBADF past the last", () => {
    const t = setup({ preopens: ["/", "/tmp"] });
    expect(t.w.fd_prestat_get!(3, 100)).toBe(0);
    expect(t.v().getUint8(100)).toBe(0);
    expect(t.v().getUint32(104, true)).toBe(1);
    expect(t.w.fd_prestat_get!(4, 100)).toBe(0);
    expect(t.v().getUint32(104, true)).toBe(4);
    expect(t.w.fd_prestat_dir_name!(4, 200, 4)).toBe(0);
    expect(td.decode(t.mem().subarray(200, 204))).toBe("/tmp");
    expect(t.w.fd_prestat_get!(5, 100)).toBe(ERRNO.BADF);
  });

  it("path_open + fd_read + fd_seek + fd_tell + fd_filestat_get", () => {
    const t = setup();
    const [rc, fd] = t.open("app/src/entry.py");
    expect(rc).toBe(0);
    expect(t.read(fd, 5)).toEqual([0, "print"]);
    expect(t.read(fd, 100)).toEqual([0, "('hi')\n"]);
    expect(t.read(fd, 100)).toEqual([0, ""]);
    expect(t.w.fd_seek!(fd, 1n, 0, 700)).toBe(0);
    expect(t.v().getBigUint64(700, true)).toBe(1n);
    expect(t.read(fd, 4)).toEqual([0, "rint"]);
    expect(t.w.fd_seek!(fd, -3n, 2, 700)).toBe(0);
    expect(t.read(fd, 10)).toEqual([0, "')\n"]);
    expect(t.w.fd_tell!(fd, 700)).toBe(0);
    expect(t.v().getBigUint64(700, true)).toBe(12n);
    expect(t.w.fd_filestat_get!(fd, 400)).toBe(0);
    expect(t.v().getUint8(416)).toBe(FILETYPE.REGULAR_FILE);
    expect(t.v().getBigUint64(432, true)).toBe(12n);
    expect(t.w.fd_seek!(1, 0n, 0, 700)).toBe(ERRNO.SPIPE);
    expect(t.w.fd_close!(fd)).toBe(0);
    expect(t.w.fd_close!(fd)).toBe(ERRNO.BADF);
  });

  it("fd_pread reads at an offset without moving the cursor", () => {
    const t = setup();
    const [, fd] = t.open("/lib/python313.zip");
    t.v().setUint32(800, 2000, true);
    t.v().setUint32(804, 3, true);
    expect(t.w.fd_pread!(fd, 800, 1, 3n, 808)).toBe(0);
    expect(td.decode(t.mem().subarray(2000, 2003))).toBe("zip");
    expect(t.read(fd, 2)).toEqual([0, "PK"]);
  });

  it("errors: ENOENT, ENOTDIR, EROFS on read-only trees, EISDIR", () => {
    const t = setup();
    expect(t.open("app/missing.py")[0]).toBe(ERRNO.NOENT);
    expect(t.open("app/src/entry.py/x")[0]).toBe(ERRNO.NOTDIR);
    expect(t.open("app/new.py", 1 /* CREAT */, 0x40n)[0]).toBe(ERRNO.ROFS);
    expect(t.open("app/src/entry.py", 0, 0x40n /* FD_WRITE */)[0]).toBe(ERRNO.ROFS);
    expect(t.open("app/src/entry.py", 2 /* DIRECTORY */)[0]).toBe(ERRNO.NOTDIR);
    const [, dfd] = t.open("app", 2);
    expect(t.read(dfd, 10)[0]).toBe(ERRNO.ISDIR);
  });

  it("path_filestat_get on files and directories", () => {
    const t = setup();
    const n = t.putStr(1000, "lib/site");
    expect(t.w.path_filestat_get!(3, 0, 1000, n, 400)).toBe(0);
    expect(t.v().getUint8(416)).toBe(FILETYPE.DIRECTORY);
    const m = t.putStr(1000, "/lib/python313.zip");
    expect(t.w.path_filestat_get!(3, 0, 1000, m, 400)).toBe(0);
    expect(t.v().getBigUint64(432, true)).toBe(12n);
    const k = t.putStr(1000, "nope");
    expect(t.w.path_filestat_get!(3, 0, 1000, k, 400)).toBe(ERRNO.NOENT);
  });

  it("fd_readdir lists entries with cookies and truncates at the buffer end", () => {
    const t = setup();
    const [, dfd] = t.open("app/src", 2);
    expect(t.w.fd_readdir!(dfd, 5000, 4096, 0n, 808)).toBe(0);
    const used = t.v().getUint32(808, true);
    const names: string[] = [];
    let off = 5000;
    while (off < 5000 + used) {
      const namlen = t.v().getUint32(off + 16, true);
      names.push(td.decode(t.mem().subarray(off + 24, off + 24 + namlen)));
      off += 24 + namlen;
    }
    expect(names).toEqual([".", "..", "entry.py", "helpers.py"]);
    // cookie 3 starts at the 4th entry
    expect(t.w.fd_readdir!(dfd, 5000, 4096, 3n, 808)).toBe(0);
    expect(td.decode(t.mem().subarray(5024, 5034))).toBe("helpers.py");
    // a small buffer is filled completely (bufused == buf_len signals "more")
    expect(t.w.fd_readdir!(dfd, 5000, 30, 0n, 808)).toBe(0);
    expect(t.v().getUint32(808, true)).toBe(30);
  });

  it("writable /tmp: create, write, append, truncate, rename, unlink, mkdir", () => {
    const t = setup();
    const [rc, fd] = t.open("tmp/a.txt", 1 | 8, 0x42n);
    expect(rc).toBe(0);
    expect(t.write(fd, "hello ")).toBe(0);
    expect(t.write(fd, "world")).toBe(0);
    t.w.fd_close!(fd);
    const [, fd2] = t.open("tmp/a.txt");
    expect(t.read(fd2, 100)).toEqual([0, "hello world"]);
    const [, fd3] = t.open("tmp/a.txt", 0, 0x40n, 1 /* APPEND */);
    t.write(fd3, "!");
    expect(t.vfs.lookup("/tmp/a.txt")!.kind).toBe("file");
    expect((t.vfs.lookup("/tmp/a.txt") as any).size).toBe(12);
    expect(t.w.fd_filestat_set_size!(fd3, 5n)).toBe(0);
    expect((t.vfs.lookup("/tmp/a.txt") as any).size).toBe(5);
    const a = t.putStr(1000, "tmp/a.txt");
    const b = t.putStr(1100, "tmp/b.txt");
    expect(t.w.path_rename!(3, 1000, a, 3, 1100, b)).toBe(0);
    expect(t.vfs.lookup("/tmp/b.txt")).toBeDefined();
    expect(t.w.path_unlink_file!(3, 1100, b)).toBe(0);
    expect(t.vfs.lookup("/tmp/b.txt")).toBeUndefined();
    const d = t.putStr(1200, "tmp/dir");
    expect(t.w.path_create_directory!(3, 1200, d)).toBe(0);
    expect(t.w.path_create_directory!(3, 1200, d)).toBe(ERRNO.EXIST);
    expect(t.w.path_remove_directory!(3, 1200, d)).toBe(0);
    const ro = t.putStr(1300, "app/x");
    expect(t.w.path_create_directory!(3, 1300, ro)).toBe(ERRNO.ROFS);
  });

  it("stdout/stderr go to the logger line by line; flush emits the rest", () => {
    const t = setup();
    t.write(1, "line one\nline ");
    t.write(1, "two\n");
    t.write(2, "err");
    expect(t.logs).toEqual([["stdout", "line one"], ["stdout", "line two"]]);
    t.wasi.flush();
    expect(t.logs[2]).toEqual(["stderr", "err"]);
    expect(t.w.fd_write!(0, 800, 0, 808)).toBe(ERRNO.BADF);
  });

  it("args and environ", () => {
    const t = setup({ env: { PYTHONHOME: "/", A: "b" }, args: ["python", "-c", "x"] });
    expect(t.w.environ_sizes_get!(100, 104)).toBe(0);
    expect(t.v().getUint32(100, true)).toBe(2);
    const size = t.v().getUint32(104, true);
    expect(size).toBe("PYTHONHOME=/\0A=b\0".length);
    expect(t.w.environ_get!(200, 300)).toBe(0);
    expect(t.v().getUint32(200, true)).toBe(300);
    expect(td.decode(t.mem().subarray(300, 300 + size))).toBe("PYTHONHOME=/\0A=b\0");
    expect(t.w.args_sizes_get!(100, 104)).toBe(0);
    expect(t.v().getUint32(100, true)).toBe(3);
    expect(t.w.args_get!(200, 300)).toBe(0);
    expect(td.decode(t.mem().subarray(300, 302))).toBe("py");
  });

  it("clocks, random_get, poll_oneoff sleep, proc_exit", () => {
    const t = setup();
    expect(t.w.clock_time_get!(0, 0n, 100)).toBe(0);
    const realtime = t.v().getBigUint64(100, true);
    expect(Number(realtime / 1_000_000n)).toBeGreaterThan(Date.now() - 5000);
    expect(t.w.clock_time_get!(1, 0n, 100)).toBe(0);
    const m1 = t.v().getBigUint64(100, true);
    expect(t.w.clock_time_get!(9, 0n, 100)).toBe(ERRNO.INVAL);
    expect(t.w.random_get!(500, 100000)).toBe(0);
    expect(t.mem().subarray(500, 100500).some((b) => b !== 0)).toBe(true);
    // one relative clock subscription of 20 ms
    const s = 6000;
    t.mem().fill(0, s, s + 48);
    t.v().setBigUint64(s, 7n, true);
    t.v().setUint8(s + 8, 0);
    t.v().setUint32(s + 16, 1, true);
    t.v().setBigUint64(s + 24, 20_000_000n, true);
    const t0 = performance.now();
    expect(t.w.poll_oneoff!(s, 7000, 1, 7100)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    expect(t.v().getUint32(7100, true)).toBe(1);
    expect(t.v().getBigUint64(7000, true)).toBe(7n);
    t.w.clock_time_get!(1, 0n, 100);
    expect(t.v().getBigUint64(100, true) - m1).toBeGreaterThanOrEqual(15_000_000n);
    expect(() => t.w.proc_exit!(3)).toThrow(ProcExit);
  });

  it("'return' sleep mode advances the guest clocks without blocking", () => {
    const vfs = buildVfs(new Uint8Array(22), undefined);
    const wasi = new Wasi({ vfs, sleep: "return" });
    const memory = new WebAssembly.Memory({ initial: 1 });
    wasi.setMemory(memory);
    const w = wasi.exports() as Record<string, (...a: any[]) => number>;
    const v = new DataView(memory.buffer);
    w.clock_time_get!(1, 0n, 100);
    const m1 = v.getBigUint64(100, true);
    v.setUint8(1008, 0);
    v.setUint32(1016, 1, true);
    v.setBigUint64(1024, 5_000_000_000n, true);
    const t0 = performance.now();
    expect(w.poll_oneoff!(1000, 2000, 1, 2100)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1000);
    w.clock_time_get!(1, 0n, 100);
    expect(v.getBigUint64(100, true) - m1).toBeGreaterThanOrEqual(5_000_000_000n);
  });

  it("buildVfs lays out /lib/python313.zip, /lib/site, /app and a writable /tmp", () => {
    const img = encodeVfsImage([["/app/src/entry.py", te.encode("x")]]);
    const vfs = buildVfs(new Uint8Array([1, 2]), img);
    expect([...vfs.listFiles().keys()].sort()).toEqual(["/app/src/entry.py", "/lib/python313.zip"]);
    expect(vfs.lookup("/lib/site")!.kind).toBe("dir");
    expect((vfs.lookup("/tmp") as any).writable).toBe(true);
    expect((vfs.lookup("/app") as any).writable).toBe(false);
  });
});
