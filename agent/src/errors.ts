/**
 * Typed errors, one class per failure kind, each carrying what a caller (or the HTTP layer, which maps them
 * to RFC 9457 problem documents in one place) needs: a stable `code`, a short message, structured `details`
 * and the `cause`.
 */
export interface AgentErrorParameters {
  /** Machine-readable, stable code (never renamed). */
  code: string;
  /** Short human sentence. */
  message: string;
  /** Structured context: the field that is wrong, limits, ids. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AgentError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor({ code, message, details = {}, cause }: AgentErrorParameters) {
    super(message, { cause });
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Input that fails validation (a field, a file, a document). HTTP 400/422. */
export class ValidationError extends AgentError {}

/**
 * A parameter outside what the addressed object allows (e.g. a milestone index past its last milestone): the
 * request is wrong, not its content. HTTP 400.
 */
export class OutOfRangeError extends ValidationError {}

/** Input larger than a configured limit. HTTP 413. */
export class TooLargeError extends AgentError {}

/** Input of a kind the agent does not handle. HTTP 415. */
export class UnsupportedError extends AgentError {}

/** The caller may not see or act on this resource. HTTP 403. */
export class ForbiddenError extends AgentError {}

/** The resource does not exist. HTTP 404. */
export class NotFoundError extends AgentError {}

/** The request conflicts with the current state (e.g. a milestone not yet met). HTTP 409. */
export class ConflictError extends AgentError {}

/** A dependency (database, Redis, RPC, provider) failed. HTTP 503. */
export class DependencyError extends AgentError {}

/**
 * Every class above by its name: what crosses a thread as itself (store/pgliteThread/protocol.ts). A class added
 * here crosses with no other change.
 */
export const AGENT_ERROR_CLASSES: Readonly<Record<string, typeof AgentError>> = {
  AgentError,
  ValidationError,
  OutOfRangeError,
  TooLargeError,
  UnsupportedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  DependencyError,
};
