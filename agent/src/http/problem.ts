/**
 * RFC 9457 problem documents, and the one mapping from errors to them. Every error the agent answers with
 * goes through `problemForError`: typed errors keep their `code`, message and details; request-parsing
 * failures become 400/413/415; anything unknown becomes a 500 that reveals nothing about the internals.
 */

import {
  AgentError,
  ConflictError,
  DependencyError,
  ForbiddenError,
  NotFoundError,
  OutOfRangeError,
  TooLargeError,
  UnsupportedError,
  ValidationError,
} from "../errors.ts";
import { BadRequestError, BodyTimeoutError, TooManyRequestsError, UnauthorizedError } from "./httpErrors.ts";
import { INVALID_UTF8_TYPE } from "./invalidUtf8.ts";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** `type` of every problem: a URN naming its stable `code` (not meant to be dereferenced). */
export function problemType(code: string): string {
  return `urn:resolution-autopilot:problem:${code}`;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** Stable machine-readable code (never renamed). */
  code: string;
  /** The request field that is wrong (dotted path), when one is. */
  field?: string;
  requestId?: string;
  /** The request's trace id, when tracing is on. */
  traceId?: string;
  [extension: string]: unknown;
}

export interface MappedProblem {
  status: number;
  problem: ProblemDocument;
  /** Extra response headers (`Retry-After`). */
  headers: Record<string, string>;
  /** True for 5xx answers caused by a bug or an unexpected failure: log them with the error. */
  unexpected: boolean;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

const RESERVED = new Set(["type", "title", "status", "detail", "instance", "code", "requestId", "traceId"]);

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? "Server Error" : "Client Error");
}

/** Builds a problem document; `details` become extension members, never overriding the standard ones. */
export function buildProblem(
  status: number,
  code: string,
  detail: string,
  details: Record<string, unknown> = {},
): ProblemDocument {
  const problem: ProblemDocument = { type: problemType(code), title: titleFor(status), status, detail, code };
  for (const [key, value] of Object.entries(details)) {
    if (!RESERVED.has(key) && value !== undefined) problem[key] = value;
  }
  return problem;
}

function statusOfAgentError(error: AgentError): number {
  if (error instanceof BadRequestError || error instanceof OutOfRangeError) return 400;
  if (error instanceof ValidationError) return 422;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof BodyTimeoutError) return 408;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof TooLargeError) return 413;
  if (error instanceof UnsupportedError) return 415;
  if (error instanceof TooManyRequestsError) return 429;
  if (error instanceof DependencyError) return 503;
  return 500;
}

interface ZodLikeIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}

function isZodError(error: unknown): error is Error & { issues: ZodLikeIssue[] } {
  return (
    error instanceof Error &&
    error.name === "ZodError" &&
    Array.isArray((error as { issues?: unknown }).issues)
  );
}

/** The dotted path of a zod issue; an unknown key names the key itself; the root is `(body)`. */
export function fieldOfIssue(issue: ZodLikeIssue, root = "(body)"): string {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys" && issue.keys?.[0] !== undefined) path.push(issue.keys[0]);
  return path.length === 0 ? root : path.join(".");
}

/** zod's text, except that a missing value reads "is required". */
export function plainIssueMessage(message: string): string {
  return /expected \S+, received undefined$/.test(message) ? "is required" : message;
}

/** A short message for a zod issue: "is required", "is not allowed", or zod's own text. */
export function messageOfIssue(issue: ZodLikeIssue): string {
  if (issue.code === "unrecognized_keys") return "is not allowed";
  return plainIssueMessage(issue.message);
}

/**
 * Turns zod issues into a `BadRequestError` naming the first wrong field (all of them in `issues`). With a
 * `prefix` (`query`, `params`) fields read `query.deep`; without one, body fields are unprefixed and the body
 * itself is `(body)`.
 */
export function badRequestFromIssues(
  issues: readonly ZodLikeIssue[],
  options: { code?: string; prefix?: string } = {},
): BadRequestError {
  const { prefix } = options;
  const list = issues.map((issue) => {
    const field = fieldOfIssue(issue, prefix ?? "(body)");
    const named =
      prefix === undefined || (issue.path.length === 0 && issue.code !== "unrecognized_keys")
        ? field
        : `${prefix}.${field}`;
    return { field: named, message: messageOfIssue(issue) };
  });
  const first = list[0] ?? { field: prefix ?? "(body)", message: "is invalid" };
  return new BadRequestError({
    code: options.code ?? "invalid_request",
    message: `${first.field}: ${first.message}`,
    details: { field: first.field, issues: list },
  });
}

interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
  limit?: unknown;
  charset?: unknown;
  encoding?: unknown;
}

/** Errors from body-parser / raw-body / http-errors (`type` + `status`), and multer. */
function problemForHttpLikeError(error: Error & HttpLikeError & { code?: unknown; field?: unknown }) {
  if (error.name === "MulterError") {
    const field = typeof error.field === "string" ? error.field : undefined;
    switch (error.code) {
      case "LIMIT_FILE_SIZE":
        return buildProblem(413, "file_too_large", "The uploaded file is larger than allowed.", { field });
      case "LIMIT_FILE_COUNT":
      case "LIMIT_PART_COUNT":
      case "LIMIT_FIELD_COUNT":
      case "LIMIT_FIELD_KEY":
      case "LIMIT_FIELD_VALUE":
        return buildProblem(413, "upload_too_large", `The upload is too large: ${error.message}.`, { field });
      case "LIMIT_UNEXPECTED_FILE":
        return buildProblem(400, "unexpected_file", `Unexpected file field "${field ?? ""}".`, { field });
      default:
        return buildProblem(400, "invalid_upload", `The multipart upload is malformed: ${error.message}.`, {
          field,
        });
    }
  }
  const status = typeof error.status === "number" ? error.status : error.statusCode;
  if (typeof status !== "number" || status < 400 || status > 499) return null;
  // The router could not decode a path parameter (`%zz`, `%C0%AF`): which one, it does not say.
  if (error instanceof URIError) {
    return buildProblem(400, "invalid_path_encoding", "The path holds a malformed percent-encoding.", {
      field: "(path)",
    });
  }
  // body-parser's decompression failed (zlib's `Z_*`, zstd's `ZSTD_*`, brotli's `ERR__*` codes): their messages ("incorrect header
  // check") say nothing useful.
  if (typeof error.code === "string" && /^(Z_|ZSTD_|ERR_BROTLI|ERR_ZSTD|ERR__)/.test(error.code)) {
    return buildProblem(
      400,
      "invalid_content_encoding",
      "The request body does not decode as its Content-Encoding says.",
      { field: "content-encoding" },
    );
  }
  switch (error.type) {
    case "entity.parse.failed":
      return buildProblem(400, "malformed_json", "The request body is not valid JSON (an object or array).", {
        field: "(body)",
      });
    case INVALID_UTF8_TYPE:
      return buildProblem(400, "invalid_utf8", "The request body is not valid UTF-8.", { field: "(body)" });
    case "entity.too.large":
      return buildProblem(413, "body_too_large", "The request body is larger than allowed.", {
        field: "(body)",
        limit: typeof error.limit === "number" ? error.limit : undefined,
      });
    case "charset.unsupported":
      return buildProblem(
        415,
        "unsupported_charset",
        "The request body charset is not supported; use utf-8.",
        {
          field: "content-type",
        },
      );
    case "encoding.unsupported":
      return buildProblem(
        415,
        "unsupported_content_encoding",
        "The request body content encoding is not supported.",
        {
          field: "content-encoding",
        },
      );
    case "request.aborted":
      return buildProblem(400, "request_aborted", "The request was aborted before its body arrived.");
    case "request.size.invalid":
      return buildProblem(
        400,
        "invalid_content_length",
        "The request body does not match its Content-Length.",
        {
          field: "content-length",
        },
      );
    case "parameters.too.many":
      return buildProblem(413, "too_many_parameters", "The request has too many parameters.");
    default:
      return buildProblem(status, `http_${status}`, error.expose === true ? error.message : titleFor(status));
  }
}

const INTERNAL_DETAIL = "An unexpected error occurred. Quote the request id when reporting it.";
/** `Retry-After` of a 503 whose error names no wait of its own, s. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/** The one mapping from anything thrown to the answer the client gets. */
export function problemForError(error: unknown): MappedProblem {
  if (error instanceof AgentError) {
    const status = statusOfAgentError(error);
    if (status === 500) {
      return {
        status,
        problem: buildProblem(500, "internal_error", INTERNAL_DETAIL),
        headers: {},
        unexpected: true,
      };
    }
    const problem = buildProblem(status, error.code, error.message, error.details);
    const headers: Record<string, string> = {};
    const retryAfter = error.details.retryAfterSeconds;
    if (status === 429 && typeof retryAfter === "number") headers["Retry-After"] = String(retryAfter);
    // Every 503 (a dependency down, a request timeout, a busy pool) says when to come back, so clients and
    // load balancers back off instead of hammering a recovering replica (RFC 9110 §10.2.3).
    if (status === 503) {
      headers["Retry-After"] = String(
        typeof retryAfter === "number" ? retryAfter : UNAVAILABLE_RETRY_AFTER_SECONDS,
      );
    }
    return { status, problem, headers, unexpected: false };
  }
  if (isZodError(error)) {
    const bad = badRequestFromIssues(error.issues);
    return {
      status: 400,
      problem: buildProblem(400, bad.code, bad.message, bad.details),
      headers: {},
      unexpected: false,
    };
  }
  if (error instanceof Error) {
    const problem = problemForHttpLikeError(error);
    if (problem !== null) return { status: problem.status, problem, headers: {}, unexpected: false };
  }
  return {
    status: 500,
    problem: buildProblem(500, "internal_error", INTERNAL_DETAIL),
    headers: {},
    unexpected: true,
  };
}
