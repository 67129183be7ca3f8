/**
 * Request ids: a caller's `X-Request-Id` is kept when it is a short token (so ids follow a request across
 * services), otherwise a UUID is minted. The id is echoed in `X-Request-Id`, logged on every line of the
 * request and included in problem documents.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export const REQUEST_ID_HEADER = "X-Request-Id";

const ACCEPTED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function genReqId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers["x-request-id"];
  const id = typeof incoming === "string" && ACCEPTED_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
