/**
 * A JSON body must be UTF-8: one in another charset body-parser would decode (`utf-16le`, `utf-32le`, `utf-7`) is
 * refused with 415 `unsupported_charset`, and one whose bytes are not valid UTF-8 with 400 `invalid_utf8` naming the
 * body (problem.ts). body-parser decodes both with replacement characters instead, so a note with a stray byte was
 * stored with U+FFFD in it and a bad byte in a key came back as a field name the client never sent.
 */
import { isUtf8 } from "node:buffer";
import type { IncomingMessage } from "node:http";
import { keepRawBody } from "./rawBody.ts";

/** body-parser's `type` for the error, which problem.ts answers (body-parser itself would answer 403). */
export const INVALID_UTF8_TYPE = "entity.invalid.utf8";

/** `express.json`'s `verify`: refuses a body that is not UTF-8, and keeps the raw bytes of one that is. */
export function refuseInvalidUtf8(req: IncomingMessage, _res: unknown, body: Buffer, encoding: string): void {
  if (!/^utf-?8$/i.test(encoding)) {
    throw Object.assign(new Error(`unsupported charset "${encoding}"`), { type: "charset.unsupported" });
  }
  if (!isUtf8(body)) {
    throw Object.assign(new Error("The request body is not valid UTF-8."), { type: INVALID_UTF8_TYPE });
  }
  keepRawBody(req, body);
}
