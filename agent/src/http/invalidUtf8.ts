/**
 * A JSON body that is not valid UTF-8 is refused: 400 `invalid_utf8` naming the body (problem.ts). body-parser
 * decodes it with replacement characters instead, so a note with a stray byte was stored with U+FFFD in it and a
 * bad byte in a key came back as a field name the client never sent.
 */
import { isUtf8 } from "node:buffer";

/** body-parser's `type` for the error, which problem.ts answers (body-parser itself would answer 403). */
export const INVALID_UTF8_TYPE = "entity.invalid.utf8";

/** `express.json`'s `verify`: throws when `body`, declared UTF-8 (JSON's only encoding here), is not. */
export function refuseInvalidUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  if (encoding.toLowerCase().replace("-", "") !== "utf8" || isUtf8(body)) return;
  throw Object.assign(new Error("The request body is not valid UTF-8."), { type: INVALID_UTF8_TYPE });
}
