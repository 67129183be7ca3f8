/**
 * A JSON answer without Express's `res.json`: the same bytes and headers (`Content-Type: application/json;
 * charset=utf-8`, then `Content-Length`, then `ETag` when the app makes them), the same 304 / HEAD handling, for a
 * fraction of the CPU. `res.json` reads three app settings, sets the type through `mime-types`, and `res.send` then
 * parses and rewrites it with `content-type` to add the charset again before turning the string into bytes; the
 * agent sets none of `json replacer`, `json spaces` or `json escape`, so the body is plain `JSON.stringify` either
 * way (docs/performance.md, "HTTP API"). For answers on hot routes; elsewhere `res.json` is fine.
 *
 * The body goes to `res.end` as the string it is: Node joins it to the head and writes both with one system call,
 * without the copy into a `Buffer` that `res.send` makes of any string over 999 characters.
 */
import type { Response } from "express";

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

type ETagFunction = (body: string | Buffer, encoding?: BufferEncoding) => string | undefined;

/**
 * `res.send(body)` for a body whose Content-Type is JSON_CONTENT_TYPE: Express 5's steps, in its order (length,
 * ETag, freshness, the headers a 204/304 drops, 205, HEAD), with the string handed to `res.end` unconverted. A
 * response whose `send` a middleware replaced is answered through that `send`.
 */
function sendJsonBody(res: Response, body: string | Buffer): void {
  const req = res.req;
  res.setHeader("Content-Type", JSON_CONTENT_TYPE);
  if (Object.hasOwn(res, "send")) {
    // A middleware put its own `send` on this response (idempotency.ts records the answer there before it goes
    // out; requestTimeout.ts drops late answers): the answer goes through it, as `res.send` would take it.
    res.send(typeof body === "string" ? Buffer.from(body, "utf8") : body);
    return;
  }
  const length = typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length;
  if (res.getHeader("Transfer-Encoding") === undefined) res.setHeader("Content-Length", String(length));
  const etagOf = res.app.get("etag fn") as ETagFunction | undefined;
  if (typeof etagOf === "function" && res.getHeader("ETag") === undefined) {
    const etag = typeof body === "string" ? etagOf(body, "utf8") : etagOf(body);
    if (etag) res.setHeader("ETag", etag);
  }
  if (req.fresh) res.status(304);
  let chunk: string | Buffer = body;
  if (res.statusCode === 204 || res.statusCode === 304) {
    res.removeHeader("Content-Type");
    res.removeHeader("Content-Length");
    res.removeHeader("Transfer-Encoding");
    chunk = "";
  }
  if (res.statusCode === 205) {
    res.setHeader("Content-Length", "0");
    res.removeHeader("Transfer-Encoding");
    chunk = "";
  }
  if (req.method === "HEAD") res.end();
  else if (typeof chunk === "string") res.end(chunk, "utf8");
  else res.end(chunk);
}

/** A JSON body already serialized and encoded (what the commitment view cache keeps). */
export function sendJsonBytes(res: Response, body: Buffer): void {
  sendJsonBody(res, body);
}

/**
 * `res.json(value)`, byte for byte, for a value JSON can carry (an object or array), on a response whose
 * Content-Type the route has not set (this one always answers `application/json; charset=utf-8`).
 */
export function sendJson(res: Response, value: object): void {
  sendJsonBody(res, JSON.stringify(value));
}
