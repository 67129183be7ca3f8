/**
 * Errors only the HTTP layer raises, beside the shared ones in `../errors.ts`. `problem.ts` maps all of them
 * to problem documents.
 */
import { AgentError, DependencyError, ValidationError } from "../errors.ts";

/**
 * The request itself is malformed: a missing, extra or wrongly typed field, bad JSON. HTTP 400.
 * (A plain `ValidationError` means well-formed input with invalid content: HTTP 422.)
 */
export class BadRequestError extends ValidationError {}

/** No valid session, or a sign-in that does not check out. HTTP 401. */
export class UnauthorizedError extends AgentError {}

/** A rate limit is exhausted. `details.retryAfterSeconds` becomes the `Retry-After` header. HTTP 429. */
export class TooManyRequestsError extends AgentError {}

/** A handler did not answer within the request timeout. HTTP 503. */
export class RequestTimeoutError extends DependencyError {}

/** The client had not sent the whole request body when the request timed out: its delay, not ours. HTTP 408. */
export class BodyTimeoutError extends AgentError {}
