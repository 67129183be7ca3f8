/**
 * Request parsing for route handlers: validate with zod, then use only the parsed value. Failures become
 * 400 problems naming the wrong field (`body.x` paths are reported without the `body.` prefix). Text holding a
 * NUL or a lone surrogate is refused first, anywhere in the input (400 `invalid_text`, see safeText.ts).
 */
import type { Request } from "express";
import type { z } from "zod";
import { UnsupportedError } from "../errors.ts";
import { badRequestFromIssues } from "./problem.ts";
import { assertSafeText } from "./safeText.ts";

function hasBody(req: Request): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

export type ParseJsonBodyReturnType<S extends z.ZodType> = z.output<S>;

/**
 * The JSON body parsed by `schema`. A body in another media type → 415; no body at all is parsed as `{}`
 * (so a missing field is reported by name).
 */
export function parseJsonBody<S extends z.ZodType>(req: Request, schema: S): ParseJsonBodyReturnType<S> {
  if (req.body === undefined && hasBody(req)) {
    throw new UnsupportedError({
      code: "unsupported_media_type",
      message: "The request body must be application/json.",
      details: { field: "content-type", expected: "application/json" },
    });
  }
  assertSafeText(req.body);
  const result = schema.safeParse(req.body ?? {});
  if (!result.success) throw badRequestFromIssues(result.error.issues);
  return result.data;
}

/** The query string parsed by `schema` (fields named `query.x`). */
export function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  assertSafeText(req.query, { prefix: "query" });
  const result = schema.safeParse(req.query);
  if (!result.success) throw badRequestFromIssues(result.error.issues, { prefix: "query" });
  return result.data;
}

/** The path parameters parsed by `schema` (fields named `params.x`). */
export function parseParams<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  assertSafeText(req.params, { prefix: "params" });
  const result = schema.safeParse(req.params);
  if (!result.success) throw badRequestFromIssues(result.error.issues, { prefix: "params" });
  return result.data;
}
