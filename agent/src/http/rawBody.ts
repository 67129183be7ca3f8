/**
 * The bytes of a request's JSON body as they arrived, kept beside the parsed body for the rare reader that needs
 * them (the Idempotency-Key fingerprint of a body RFC 8785 cannot canonicalize). Held by the request only.
 */
import type { IncomingMessage } from "node:http";

const rawBodies = new WeakMap<IncomingMessage, Buffer>();

/** Remembers `body` as `req`'s raw JSON body (from `express.json`'s `verify`). */
export function keepRawBody(req: IncomingMessage, body: Buffer): void {
  rawBodies.set(req, body);
}

/** The raw JSON body `keepRawBody` kept for `req`, if any. */
export function rawBodyOf(req: IncomingMessage): Buffer | undefined {
  return rawBodies.get(req);
}
