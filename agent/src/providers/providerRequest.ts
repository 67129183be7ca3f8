/**
 * One HTTP request to a workout provider's API, made robust: a per-attempt timeout (AbortSignal, covering the
 * body too), a bounded response size, zod validation of the JSON (a malformed answer is a DependencyError,
 * never a crash), and retries of 429, 5xx and network failures with exponential backoff and full jitter,
 * honouring `Retry-After`, at most `maxAttempts` attempts. Other 4xx answers are not retried. Sleep, random
 * and the clock are injected so tests can check every delay without waiting.
 *
 * Nothing here logs or reports a header or a body sent (they carry tokens and client secrets); errors name the
 * operation, the status and the provider's short error message only.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { z } from "zod";
import type { Clock } from "../clock.ts";
import { DependencyError } from "../errors.ts";
import type { Logger } from "../logger.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included (>= 1). */
  maxAttempts: number;
  /** Backoff before retry n is random() x min(maxDelayMs, baseDelayMs x 2^(n-1)) ("full jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` (or rate-limit window) longer than this is not waited for: the request fails at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

export interface ProviderHttpDependencies {
  clock: Clock;
  logger: Logger;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). Defaults to Math.random. */
  random?: () => number;
  /** Per attempt, headers and body included. */
  timeoutMs: number;
  /** Larger answers fail with `provider_response_too_large` (streams of a long activity are a few MiB). */
  maxResponseBytes: number;
  retry: RetryPolicy;
  /**
   * For a 429 without `Retry-After`: how long, in ms, the provider's rate-limit window still runs according
   * to its own headers (undefined when they say nothing).
   */
  rateLimitWaitMs?: (headers: Headers, now: number) => number | undefined;
}

export interface ProviderRequest<S extends z.ZodType> {
  /** A stable label for logs and errors, e.g. `strava.getActivity`. */
  operation: string;
  method: "GET" | "POST";
  url: URL;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  schema: S;
}

export type RequestProviderJsonReturnType<S extends z.ZodType> = Promise<z.output<S>>;

/** The provider answered with a status that is final (4xx other than 429): `status` says which. */
export class ProviderResponseError extends DependencyError {
  readonly status: number;

  constructor(parameters: ConstructorParameters<typeof DependencyError>[0] & { status: number }) {
    super(parameters);
    this.status = parameters.status;
  }
}

const FINAL_STATUS_CODES: Record<number, string> = {
  400: "provider_bad_request",
  401: "provider_unauthorized",
  403: "provider_forbidden",
  404: "provider_not_found",
};

/** How much of an error answer is read for its message. */
const ERROR_BODY_BYTES = 16 * 1024;

class TooLargeBody extends Error {}

/** Reads at most `max` bytes of the body (else throws TooLargeBody), as UTF-8. */
async function readBody(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => {});
    throw new TooLargeBody();
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new TooLargeBody();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}

/** The provider's own short error message (`{"message": "..."}`), bounded; undefined when there is none. */
function providerMessage(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && "message" in parsed) {
      const message = (parsed as { message: unknown }).message;
      if (typeof message === "string") return message.slice(0, 200);
    }
  } catch {
    // Not JSON: say nothing rather than echo an arbitrary page.
  }
  return undefined;
}

/** `Retry-After` as milliseconds from `now` (delta-seconds or an HTTP date); undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - now);
}

/** Full-jitter exponential backoff before retry number `retry` (1 for the first retry). */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

type AttemptOutcome<T> =
  | { kind: "done"; value: T }
  | { kind: "retry"; error: DependencyError; waitMs?: number; status?: number }
  | { kind: "fail"; error: DependencyError };

export async function requestProviderJson<S extends z.ZodType>(
  deps: ProviderHttpDependencies,
  request: ProviderRequest<S>,
): RequestProviderJsonReturnType<S> {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const random = deps.random ?? Math.random;
  const policy = deps.retry;
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  const { operation } = request;

  for (let number = 1; ; number += 1) {
    const outcome = await attemptRequest(deps, request, number);
    if (outcome.kind === "done") return outcome.value;
    if (outcome.kind === "fail") throw outcome.error;
    if (number >= maxAttempts) throw outcome.error;
    if (outcome.waitMs !== undefined && outcome.waitMs > policy.maxRetryAfterMs) {
      // Waiting that long inline would hold a worker for nothing: give up now, the caller retries later.
      throw outcome.error;
    }
    const backoff = backoffDelayMs(number, policy, random);
    const waitMs = outcome.waitMs !== undefined ? Math.max(outcome.waitMs, backoff) : backoff;
    deps.logger.warn(
      {
        operation,
        path: request.url.pathname,
        attempt: number,
        status: outcome.status,
        code: outcome.error.code,
        waitMs,
      },
      "provider request failed; retrying",
    );
    await sleep(waitMs);
  }
}

/** One attempt under the timeout: send, then judge the answer by its status. */
async function attemptRequest<S extends z.ZodType>(
  deps: ProviderHttpDependencies,
  request: ProviderRequest<S>,
  number: number,
): Promise<AttemptOutcome<z.output<S>>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deps.timeoutMs);
  try {
    let response: Response;
    try {
      response = await sendRequest(deps.fetch ?? globalThis.fetch, request, controller.signal);
    } catch (error) {
      const timedOut = controller.signal.aborted;
      return retryUnanswered(
        request.operation,
        number,
        timedOut,
        error,
        timedOut
          ? `The provider did not answer ${request.operation} within ${deps.timeoutMs} ms.`
          : `The provider could not be reached for ${request.operation}.`,
      );
    }
    if (response.status >= 200 && response.status < 300) {
      return await readAnswer(deps, request, response, number, controller.signal);
    }
    return await refusedAnswer(deps, request.operation, response, number);
  } finally {
    clearTimeout(timer);
  }
}

function sendRequest(
  fetchImpl: typeof globalThis.fetch,
  request: ProviderRequest<z.ZodType>,
  signal: AbortSignal,
): Promise<Response> {
  return fetchImpl(request.url, {
    method: request.method,
    headers: {
      accept: "application/json",
      ...(request.form !== undefined ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      ...request.headers,
    },
    body: request.form !== undefined ? new URLSearchParams(request.form).toString() : undefined,
    signal,
    redirect: "error",
  });
}

/** A request that got no answer, or lost it halfway: retried, as a timeout or as an unreachable provider. */
function retryUnanswered(
  operation: string,
  attempts: number,
  timedOut: boolean,
  cause: unknown,
  message: string,
): AttemptOutcome<never> {
  return {
    kind: "retry",
    error: new DependencyError({
      code: timedOut ? "provider_timeout" : "provider_unreachable",
      message,
      details: { operation, attempts },
      cause: timedOut ? undefined : cause,
    }),
  };
}

/** A 2xx answer: read within the size limit, then parsed with the request's schema. */
async function readAnswer<S extends z.ZodType>(
  deps: ProviderHttpDependencies,
  request: ProviderRequest<S>,
  response: Response,
  number: number,
  signal: AbortSignal,
): Promise<AttemptOutcome<z.output<S>>> {
  const { operation } = request;
  let text: string;
  try {
    text = await readBody(response, deps.maxResponseBytes);
  } catch (error) {
    if (error instanceof TooLargeBody) {
      return {
        kind: "fail",
        error: new DependencyError({
          code: "provider_response_too_large",
          message: `The provider's answer to ${operation} is larger than ${deps.maxResponseBytes} bytes.`,
          details: { operation, limit: deps.maxResponseBytes },
        }),
      };
    }
    return retryUnanswered(
      operation,
      number,
      signal.aborted,
      error,
      `The provider's answer to ${operation} broke off.`,
    );
  }
  return parseAnswer(request, text, response.status);
}

function parseAnswer<S extends z.ZodType>(
  request: ProviderRequest<S>,
  text: string,
  status: number,
): AttemptOutcome<z.output<S>> {
  const { operation } = request;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      kind: "fail",
      error: new DependencyError({
        code: "provider_malformed_response",
        message: `The provider's answer to ${operation} is not JSON.`,
        details: { operation, status },
      }),
    };
  }
  const parsed = request.schema.safeParse(json);
  if (parsed.success) return { kind: "done", value: parsed.data };
  return {
    kind: "fail",
    error: new DependencyError({
      code: "provider_malformed_response",
      message: `The provider's answer to ${operation} does not have the documented shape.`,
      details: {
        operation,
        status,
        issues: parsed.error.issues
          .slice(0, 5)
          .map((issue) => ({ path: issue.path.join("."), message: issue.message })),
      },
    }),
  };
}

/** A non-2xx answer: 429 and 5xx are retried (after Retry-After when given), anything else is final. */
async function refusedAnswer(
  deps: ProviderHttpDependencies,
  operation: string,
  response: Response,
  number: number,
): Promise<AttemptOutcome<never>> {
  const status = response.status;
  const errorText = await readBody(response, ERROR_BODY_BYTES).catch(() => "");
  const message = providerMessage(errorText);
  const providerDetails = message !== undefined ? { providerMessage: message } : {};
  if (status !== 429 && status < 500) {
    return {
      kind: "fail",
      error: new ProviderResponseError({
        code: FINAL_STATUS_CODES[status] ?? "provider_rejected",
        message: `The provider refused ${operation} with HTTP ${status}.`,
        details: { operation, status, ...providerDetails },
        status,
      }),
    };
  }
  const now = deps.clock.now();
  const limited = status === 429;
  const waitMs =
    parseRetryAfter(response.headers.get("retry-after"), now) ??
    (limited ? deps.rateLimitWaitMs?.(response.headers, now) : undefined);
  return {
    kind: "retry",
    status,
    waitMs,
    error: new DependencyError({
      code: limited ? "provider_rate_limited" : "provider_unavailable",
      message: limited
        ? `The provider's rate limit stopped ${operation}.`
        : `The provider failed ${operation} with HTTP ${status}.`,
      details: {
        operation,
        status,
        attempts: number,
        ...providerDetails,
        ...(waitMs !== undefined ? { retryAfterSeconds: Math.ceil(waitMs / 1000) } : {}),
      },
    }),
  };
}
