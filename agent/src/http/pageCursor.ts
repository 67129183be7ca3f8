/**
 * A listing's page cursor comes back from the client as `?cursor=`: a store that cannot read it says
 * `invalid_cursor` (a domain error); to the caller that is a bad query parameter, named as such.
 */
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import { BadRequestError } from "./httpErrors.ts";
import { rethrowAs } from "./rethrowAs.ts";

/** Runs one page read; an unreadable cursor becomes a 400 naming `query.cursor`. */
export function readPage<T>(read: () => Promise<T>): Promise<T> {
  return rethrowAs(read, {
    errorClass: ValidationError,
    code: "invalid_cursor",
    as: (cause) =>
      new BadRequestError({
        code: "invalid_request",
        message: "query.cursor: is not a cursor this API returned",
        details: { field: "query.cursor" },
        cause,
      }),
  });
}

/** A listing query's paging options, only those the client gave (the services take no `undefined` for them). */
export function pageOptionsOf(query: { limit?: number | undefined; cursor?: string | undefined }): {
  limit?: number;
  cursor?: string;
} {
  return {
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
    ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
  };
}

/** The paging fields of a listing's query schema: `limit` (1 to `max`) and an opaque `cursor`. */
export function pageQueryFields(max: number) {
  return {
    limit: z
      .string()
      .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${max}`)
      .transform(Number)
      .refine((n) => n >= 1 && n <= max, `must be a whole number from 1 to ${max}`)
      .optional(),
    cursor: z.string().min(1).max(512).optional(),
  };
}
