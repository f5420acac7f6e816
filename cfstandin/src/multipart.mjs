// multipart/form-data parsing and building. A small parser of our own because module parts must
// keep their exact bytes and Content-Type even when a client sends them without a filename
// (WHATWG FormData would turn such a part into a UTF-8 string).
import { randomBytes } from "node:crypto";

const CRLF = Buffer.from("\r\n");

export function boundaryOf(contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "");
  return m ? (m[1] ?? m[2]).trim() : null;
}

/** @returns {{name: string, filename: string|null, contentType: string|null, data: Buffer}[]} */
export function parseMultipart(body, contentType) {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw new Error("multipart body without a boundary");
  const delim = Buffer.from(`--${boundary}`);
  const parts = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new Error("multipart boundary not found in the body");
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === "--") break; // closing delimiter
    if (body.subarray(pos, pos + 2).equals(CRLF)) pos += 2;
    const headerEnd = body.indexOf("\r\n\r\n", pos);
    if (headerEnd < 0) throw new Error("malformed multipart part headers");
    const headers = {};
    for (const line of body.subarray(pos, headerEnd).toString("utf8").split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = body.indexOf(Buffer.concat([CRLF, delim]), headerEnd + 4);
    if (next < 0) throw new Error("multipart part is not terminated");
    const disp = headers["content-disposition"] ?? "";
    const name = /\bname="([^"]*)"/i.exec(disp)?.[1];
    if (name === undefined) throw new Error("multipart part without a name");
    parts.push({
      name,
      filename: /\bfilename="([^"]*)"/i.exec(disp)?.[1] ?? null,
      contentType: headers["content-type"] ?? null,
      data: body.subarray(headerEnd + 4, next),
    });
    pos = next + 2;
  }
  return parts;
}

/** Build a multipart body; parts: {name, filename?, contentType?, data: Buffer|string}. */
export function buildMultipart(parts) {
  const boundary = `cfstandin-${randomBytes(12).toString("hex")}`;
  const chunks = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename) head += `; filename="${p.filename}"`;
    head += "\r\n";
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    chunks.push(Buffer.from(head + "\r\n"), Buffer.from(p.data), CRLF);
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
