/**
 * A JSON answer without Express's `res.json`: the same bytes and headers (`Content-Type: application/json;
 * charset=utf-8`, then `Content-Length`), the same 304 / HEAD handling (`res.send` still runs), for a fraction of
 * the CPU. `res.json` reads three app settings, sets the type through `mime-types`, and `res.send` then parses and
 * rewrites it with `content-type` to add the charset again before turning the string into bytes; the agent sets
 * none of `json replacer`, `json spaces` or `json escape`, so the body is plain `JSON.stringify` either way
 * (docs/performance.md, "HTTP API"). For answers on hot routes; elsewhere `res.json` is fine.
 */
import type { Response } from "express";

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/** A JSON body already serialized and encoded (what the commitment view cache keeps). */
export function sendJsonBytes(res: Response, body: Buffer): void {
  res.setHeader("Content-Type", JSON_CONTENT_TYPE);
  res.send(body);
}

/** `res.json(value)`, byte for byte, for a value JSON can carry (an object or array). */
export function sendJson(res: Response, value: object): void {
  sendJsonBytes(res, Buffer.from(JSON.stringify(value), "utf8"));
}
