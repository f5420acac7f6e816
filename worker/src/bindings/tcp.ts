// Kind "tcp": outbound TCP sockets through `cloudflare:sockets` connect (docs/abi.md §3 TCP). The
// open sockets are per-instance state, closed when the instance is discarded.

import { HostError, STATUS } from "../runtime/bindings";
import { HostKind, KindContext, KindState, SocketLike, bad, str } from "./kind";

interface OpenSocket {
  socket: SocketLike;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  leftover: Uint8Array | undefined;
  eof: boolean;
}

async function closeSocket(s: OpenSocket): Promise<void> {
  try {
    s.reader.releaseLock();
    s.writer.releaseLock();
    await s.socket.close();
  } catch {
    // already closed by the peer
  }
}

class Sockets implements KindState {
  readonly open = new Map<number, OpenSocket>();
  next = 1;
  get(args: any, op: string): OpenSocket {
    const id = args?.socket;
    const s = typeof id === "number" ? this.open.get(id) : undefined;
    if (!s) throw bad(`${op}: no open socket ${JSON.stringify(id)}`);
    return s;
  }
  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(closeSocket));
  }
}

interface Tcp {
  ctx: KindContext;
  sockets: Sockets;
}

export const tcp: HostKind<Tcp> = {
  name: "tcp",
  scope: "host",
  locate: (ctx) => ({ ctx, sockets: ctx.state("tcp", () => new Sockets()) }),
  ops: {
    async connect({ ctx, sockets }, args) {
      if (!ctx.connect) throw new HostError(STATUS.NOT_SUPPORTED, "tcp: this host has no socket support");
      if (sockets.open.size >= ctx.maxSockets) throw new HostError(STATUS.LIMIT, `tcp: more than ${ctx.maxSockets} open sockets`);
      const hostname = str(args, "hostname", "tcp.connect");
      const port = args.port;
      if (!Number.isInteger(port) || port <= 0 || port > 65535) throw bad('tcp.connect: "port" must be 1..65535');
      const secureTransport = args.secureTransport ?? "off";
      let socket: SocketLike;
      try {
        socket = ctx.connect({ hostname, port }, { secureTransport, allowHalfOpen: false });
        if (socket.opened) await socket.opened;
      } catch (e) {
        throw new HostError(STATUS.IO, `connect ${hostname}:${port}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const id = sockets.next++;
      sockets.open.set(id, { socket, reader: socket.readable.getReader(), writer: socket.writable.getWriter(), leftover: undefined, eof: false });
      return { meta: { socket: id } };
    },
    async send({ sockets }, args, blobs) {
      const s = sockets.get(args, "tcp.send");
      const data = blobs[0] ?? new Uint8Array(0);
      try {
        await s.writer.write(data);
      } catch (e) {
        throw new HostError(STATUS.IO, `tcp.send: ${e instanceof Error ? e.message : String(e)}`);
      }
      return { meta: { sent: data.byteLength } };
    },
    async recv({ sockets }, args) {
      const s = sockets.get(args, "tcp.recv");
      const max = args.max ?? 65536;
      if (!Number.isInteger(max) || max <= 0) throw bad('tcp.recv: "max" must be a positive integer');
      let chunk = s.leftover;
      s.leftover = undefined;
      while (!chunk && !s.eof) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await s.reader.read();
        } catch (e) {
          throw new HostError(STATUS.IO, `tcp.recv: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (r.done) s.eof = true;
        else if (r.value.byteLength) chunk = r.value;
      }
      if (!chunk) return { meta: null, blobs: [new Uint8Array(0)] };
      if (chunk.byteLength > max) {
        s.leftover = chunk.subarray(max);
        chunk = chunk.subarray(0, max);
      }
      return { meta: null, blobs: [chunk] };
    },
    async close({ sockets }, args) {
      const s = sockets.get(args, "tcp.close");
      sockets.open.delete(args.socket);
      await closeSocket(s);
      return { meta: null };
    },
  },
};
