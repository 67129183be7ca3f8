/**
 * `Idempotency-Key` support for mutating routes, over `store.idempotencyKeys`, scoped to the signed-in address
 * (mount it after `requireSession`). Without the header the request simply runs.
 *
 * - The key is 1..255 printable ASCII characters, else 400 `invalid_idempotency_key` (field `idempotency-key`).
 * - The request is identified by SHA-256 over method, path (with query) and the body's fingerprint: canonical
 *   (RFC 8785) JSON of the parsed body by default, or what `fingerprint` returns (uploads: the file's hash).
 * - First use: the request runs; a success is recorded before it is sent. Any other answer, 4xx or 5xx (and a
 *   request that never answers), releases the key instead, so a retry runs again.
 * - The client leaving before the answer (its own timeout) does not release the key: the handler may still finish
 *   (an upload stored stays stored), and a retry must get that answer replayed, not a second run's (which would
 *   call the user's own workout a `duplicate`). Until the answer comes a retry gets 409 in progress; a handler
 *   that never answers gives the key up after `abandonedReleaseMs`. A key whose holder died (a process killed
 *   mid-request) is taken over by a retry after `pendingLeaseMs`.
 * - Retry with the same request: the recorded status and body are replayed, with `Idempotent-Replayed: true`.
 * - Same key, different request → 422 `idempotency_key_reused`; the first request still running → 409
 *   `idempotency_key_in_progress`.
 */
import { createHash, randomUUID } from "node:crypto";
import canonicalize from "canonicalize";
import type { Request, RequestHandler, Response } from "express";
import { sessionOf } from "../auth/session.ts";
import { ConflictError, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Repositories } from "../store/store.ts";
import { BadRequestError } from "./httpErrors.ts";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";
import { rawBodyOf } from "./rawBody.ts";
import { requestSignal } from "./requestTimeout.ts";
import { rethrowAs } from "./rethrowAs.ts";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed";
/** How long a key is remembered by default: a day covers any sensible retry schedule. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export interface IdempotencyParameters {
  store: Pick<Repositories, "idempotencyKeys">;
  logger: Logger;
  /** How long a key is remembered, ms. Default 24 h. */
  ttlMs?: number;
  /** The body's fingerprint; default the canonical JSON of `req.body`. */
  fingerprint?: (req: Request) => string;
  /** After the client left, how long the handler's answer is waited for before the key is given up, ms. Default 60 s. */
  abandonedReleaseMs?: number;
  /** The app's request timeout (`REQUEST_TIMEOUT_MS`), ms: bounds how long a live holder keeps a key. Default 15 s. */
  requestTimeoutMs?: number;
  /**
   * How long a pending key is another request's before a retry takes it over, ms: its holder is dead (a process
   * killed mid-request never completes nor releases it). Default `requestTimeoutMs` + `abandonedReleaseMs` + 15 s
   * (90 s with the defaults): a live holder answers or gives the key up within the request timeout, or within
   * `abandonedReleaseMs` of its client leaving; the 15 s cover a late release and the clocks of two replicas
   * disagreeing (the lease compares one replica's claim time with another's clock).
   */
  pendingLeaseMs?: number;
}

function jsonFingerprint(req: Request): string {
  if (req.body === undefined) return "";
  try {
    return canonicalize(req.body) ?? "";
  } catch {
    // RFC 8785 has no form for a lone surrogate or an infinite number, which a JSON body can carry ("\ud800",
    // 1e309): the request goes on to its own validation (a 400 naming the field) under the hash of its bytes as
    // they arrived, the same for the same body and never one of canonical JSON's (`~` starts none of them). The
    // parsed body is not serialized again: a deep one would overflow the stack.
    const raw = rawBodyOf(req);
    return raw === undefined ? `~${randomUUID()}` : `~${createHash("sha256").update(raw).digest("hex")}`;
  }
}

/** SHA-256 hex over the method, the path with its query, and the body's fingerprint. */
export function requestHashOf(req: Request, fingerprint: string): string {
  return createHash("sha256").update(`${req.method}\n${req.originalUrl}\n`).update(fingerprint).digest("hex");
}

function keyOf(req: Request): string | undefined {
  const key = req.get(IDEMPOTENCY_KEY_HEADER);
  if (key === undefined) return undefined;
  if (!KEY_PATTERN.test(key)) {
    throw new BadRequestError({
      code: "invalid_idempotency_key",
      message: "idempotency-key: must be 1 to 255 printable ASCII characters",
      details: { field: "idempotency-key" },
    });
  }
  return key;
}

/**
 * Answers to keep: successes only. A client error is not the outcome of the operation but of its moment or its
 * input (a 409 "milestone not met yet", a 404 before the indexer caught up, a 403 from a wrong origin): recorded,
 * it would answer every retry under the key the same, even once the request could succeed. Server failures and
 * rate limits are released for the same reason.
 */
function isFinal(status: number): boolean {
  return status < 400;
}

function bodyOf(chunk: unknown): unknown {
  if (chunk !== null && typeof chunk === "object" && !Buffer.isBuffer(chunk)) return chunk;
  const text =
    typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : undefined;
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function replay(res: Response, status: number, body: unknown): void {
  res.setHeader(IDEMPOTENT_REPLAYED_HEADER, "true");
  res
    .status(status)
    .type(status >= 400 ? PROBLEM_CONTENT_TYPE : "application/json")
    .send(JSON.stringify(body));
}

export function idempotency({
  store,
  logger,
  ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS,
  fingerprint = jsonFingerprint,
  abandonedReleaseMs = 60_000,
  requestTimeoutMs = 15_000,
  pendingLeaseMs = requestTimeoutMs + abandonedReleaseMs + 15_000,
}: IdempotencyParameters): RequestHandler {
  return async (req, res, next) => {
    const key = keyOf(req);
    if (key === undefined) return next();
    const owner = sessionOf(req).address;
    const requestHash = requestHashOf(req, fingerprint(req));
    const claim = await rethrowAs(
      () => store.idempotencyKeys.claim({ owner, key, requestHash, ttlMs, pendingLeaseMs }),
      {
        errorClass: ConflictError,
        code: "idempotency_key_reused",
        as: (cause) =>
          new ValidationError({
            code: "idempotency_key_reused",
            message: "This Idempotency-Key was already used for a different request; use a new key.",
            details: { field: "idempotency-key" },
            cause,
          }),
      },
    );
    if (claim.outcome === "completed") {
      replay(res, claim.record.responseStatus ?? 200, claim.record.responseBody);
      return;
    }
    if (claim.outcome === "in_progress") {
      throw new ConflictError({
        code: "idempotency_key_in_progress",
        message: "A request with this Idempotency-Key is still running; retry later.",
        details: { field: "idempotency-key" },
      });
    }

    const log = req.log ?? logger;
    // This claim only: a retry that took the key over (past the lease) is not completed nor released by this one.
    const ref = { owner, key, claimedAt: claim.record.createdAt };
    let settled = false;
    const release = () =>
      store.idempotencyKeys.release(ref).catch((error: unknown) => {
        log.warn({ err: error }, "idempotency key release failed");
        return false;
      });
    if (requestSignal(req).aborted || res.headersSent) {
      // Timed out (or the client left) while the key was being claimed: nothing will run under it.
      await release();
      return;
    }
    const send = res.send.bind(res);
    // The answer is recorded before it goes out, so a client that has it never finds the key "in progress".
    // Once the request is aborted (timed out, client gone) it goes out at once: the timeout's answer must not
    // wait, since late writes are dropped after it.
    Object.defineProperty(res, "send", {
      configurable: true,
      writable: true,
      value: (chunk?: unknown) => {
        if (settled) return send(chunk);
        settled = true;
        const status = res.statusCode;
        const recorded = (
          isFinal(status)
            ? store.idempotencyKeys.complete({ ...ref, responseStatus: status, responseBody: bodyOf(chunk) })
            : release()
        ).then(
          () => undefined,
          (error: unknown) => {
            log.warn({ err: error }, "idempotency key completion failed");
            // A key left pending would answer "in progress" until it expires: give it up instead.
            return release().then(() => undefined);
          },
        );
        if (requestSignal(req).aborted) {
          send(chunk);
        } else {
          void recorded.finally(() => send(chunk));
        }
        return res;
      },
    });
    res.once("close", () => {
      if (settled) return;
      // The client left first: the handler's answer (sent into the closed connection) still settles the key.
      setTimeout(() => {
        if (!settled) {
          settled = true;
          void release();
        }
      }, abandonedReleaseMs).unref();
    });
    next();
  };
}
