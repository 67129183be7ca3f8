/**
 * Receives exactly one uploaded file (multipart/form-data, multer 2 with `incrementalMemoryStorage`: the file is
 * copied chunk by chunk into one buffer of its own) and refuses everything else with a problem naming what is
 * wrong. `uploadedFileOf(req)` then gives the file's bytes.
 *
 * - Not multipart → 415 `unsupported_media_type` (field `content-type`); no body at all → 400 (field `file`).
 * - Bounded work: a declared `Content-Length` above the limit (plus `MULTIPART_OVERHEAD_BYTES` for boundaries and
 *   part headers) → 413 `too_large` at once, without reading the body; a body that turns out larger while it
 *   streams is cut off the same way. Both answers carry `Connection: close`, so the rest of the body is never
 *   read. A file part above the limit → 413 `too_large` (field `file`).
 * - No file under the field → 400 `invalid_request` naming it; a file under another name, a second file, or a
 *   text field other than the route's `textFields` → 400 `invalid_request` naming that field; a malformed
 *   multipart body → 400 `invalid_upload`. `uploadedFieldsOf(req)` gives the allowed text fields received (the
 *   route parses them).
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import multer from "multer";
import { TooLargeError, UnsupportedError } from "../errors.ts";
import { sendErrorProblem } from "./errorHandler.ts";
import { BadRequestError } from "./httpErrors.ts";
import type { UploadBufferLease, UploadBufferPool } from "./uploadBufferPool.ts";
import { incrementalMemoryStorage } from "./uploadStorage.ts";

/** Room for the multipart framing around the file: boundaries, part headers, a few small fields. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export interface UploadFileParameters {
  /** Largest accepted file, bytes. */
  maxBytes: number;
  /** The multipart field that carries the file. Default `file`. */
  field?: string;
  /** Text fields the route accepts beside the file (each at most 1 KiB; the route validates them). */
  textFields?: readonly string[];
  /** Reusable shared memory for the file (uploads headed to the parse workers); see uploadBufferPool.ts. */
  bufferPool?: UploadBufferPool;
}

export interface UploadedFile {
  bytes: Uint8Array;
  /**
   * The request owns `bytes.buffer` (no other request's data is in it), so it may be moved to a worker thread
   * rather than copied; after that `bytes` must not be read. False when `bytes` is a slot of the route's
   * `bufferPool` (shared memory the upload holds until its response is closed).
   */
  ownsBuffer: boolean;
  /**
   * A hold on `bytes` for a reader that outlives this call (the parse worker); release it when done. `undefined`
   * when the bytes are no longer this upload's to read (a pooled slot given back when the response was closed):
   * refuse the file then. A file in its own buffer always gives a hold (that costs nothing).
   */
  holdForReading(): (() => void) | undefined;
  /** As the client named it: untrusted, for logs and messages only. */
  originalName: string;
  size: number;
}

const files = new WeakMap<Request, UploadedFile>();
const textFieldsOf = new WeakMap<Request, Readonly<Record<string, unknown>>>();

/**
 * Error middleware for upload routes: an error answered before the body was read (no session, a refused
 * idempotency key, ...) closes the connection, so a large body is not read just to be thrown away.
 */
export const closeIfBodyUnread: ErrorRequestHandler = (error, req, res, next) => {
  if (!req.complete && !res.headersSent) res.setHeader("Connection", "close");
  next(error);
};

/** The file `uploadFile` received for this request; throws when the middleware did not run. */
export function uploadedFileOf(req: Request): UploadedFile {
  const file = files.get(req);
  if (file === undefined) throw new Error("uploadFile() did not run for this request");
  return file;
}

/** The allowed text fields of the upload, as received (a string, or an array when repeated): parse them. */
export function uploadedFieldsOf(req: Request): Readonly<Record<string, unknown>> {
  return textFieldsOf.get(req) ?? {};
}

function hasBody(req: Request): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

function tooLarge(maxBytes: number, field: string): TooLargeError {
  return new TooLargeError({
    code: "too_large",
    message: `The upload is larger than ${maxBytes} bytes.`,
    details: { field, limit: maxBytes },
  });
}

/** Answers now and closes the connection after the answer, so the rest of the body is never read. */
function refuseAndClose(req: Request, res: Response, error: Error): void {
  if (res.headersSent) return;
  res.setHeader("Connection", "close");
  sendErrorProblem(req, res, error);
}

function unexpectedField(name: string | undefined, message: string): BadRequestError {
  const field = name === undefined || name === "" ? "(body)" : name;
  return new BadRequestError({
    code: "invalid_request",
    message: `${field}: ${message}`,
    details: { field },
  });
}

/** multer's errors as the agent's typed errors. */
function mapUploadError(error: unknown, maxBytes: number, fileField: string): unknown {
  if (!(error instanceof multer.MulterError)) {
    if (error instanceof Error && !(error instanceof TooLargeError)) {
      // busboy: "Unexpected end of form", "Malformed part header", "Multipart: Boundary not found", ...
      return new BadRequestError({
        code: "invalid_upload",
        message: `The multipart body is malformed: ${error.message.slice(0, 200)}.`,
        details: { field: "(body)" },
        cause: error,
      });
    }
    return error;
  }
  switch (error.code) {
    case "LIMIT_FILE_SIZE":
      return tooLarge(maxBytes, error.field ?? fileField);
    case "LIMIT_UNEXPECTED_FILE":
      return error.field === fileField
        ? unexpectedField(fileField, "send exactly one file")
        : unexpectedField(error.field, `is not allowed (send the file as "${fileField}")`);
    case "LIMIT_FILE_COUNT":
      return unexpectedField(fileField, "send exactly one file");
    case "LIMIT_FIELD_KEY":
    case "LIMIT_FIELD_VALUE":
    case "LIMIT_FIELD_COUNT":
    case "LIMIT_PART_COUNT":
      return unexpectedField(error.field, `is not allowed (send only the file as "${fileField}")`);
    default:
      return new BadRequestError({
        code: "invalid_upload",
        message: `The multipart body is malformed: ${error.message}.`,
        details: { field: error.field ?? "(body)" },
        cause: error,
      });
  }
}

const NOTHING_TO_RELEASE = () => {};

/** `UploadedFile.holdForReading` for a file in a pooled slot (`lease`) or in its own buffer. */
function holderOf(lease: UploadBufferLease | undefined): UploadedFile["holdForReading"] {
  return lease === undefined ? () => NOTHING_TO_RELEASE : () => lease.retain();
}

export function uploadFile({
  maxBytes,
  field = "file",
  textFields = [],
  bufferPool,
}: UploadFileParameters): RequestHandler {
  const allowed = new Set(textFields);
  const maxBody = maxBytes + MULTIPART_OVERHEAD_BYTES;
  const cutOff = new WeakSet<Request>();
  const options: multer.Options & { streamHandler: (req: Request, busboy: NodeJS.WritableStream) => void } = {
    storage: incrementalMemoryStorage(maxBytes, bufferPool),
    limits: {
      fileSize: maxBytes,
      files: 1,
      fields: 4,
      fieldSize: 1024,
      fieldNameSize: 100,
      parts: 6,
      headerPairs: 20,
    },
    // Counts the body as it streams in and cuts it off past the limit (a chunked body has no Content-Length).
    streamHandler: (req, busboy) => {
      let seen = 0;
      const count = (chunk: Buffer) => {
        seen += chunk.length;
        if (seen <= maxBody || cutOff.has(req)) return;
        cutOff.add(req);
        req.off("data", count);
        req.unpipe(busboy);
        req.pause();
        if (req.res !== undefined) refuseAndClose(req, req.res, tooLarge(maxBytes, field));
      };
      req.on("data", count);
      req.pipe(busboy);
    },
  };
  const receive = multer(options).single(field);

  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.is("multipart/form-data")) {
      if (!hasBody(req)) {
        return next(unexpectedField(field, "is required (multipart/form-data)"));
      }
      return next(
        new UnsupportedError({
          code: "unsupported_media_type",
          message: "The upload must be multipart/form-data.",
          details: { field: "content-type", expected: "multipart/form-data" },
        }),
      );
    }
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBody) {
      return refuseAndClose(req, res, tooLarge(maxBytes, field));
    }
    receive(req, res, (error?: unknown) => {
      if (cutOff.has(req) || res.headersSent) return;
      if (error !== undefined && error !== null) return next(mapUploadError(error, maxBytes, field));
      const body = (req.body ?? {}) as Record<string, unknown>;
      const extra = Object.keys(body).find((name) => !allowed.has(name));
      if (extra !== undefined) {
        return next(
          extra === field
            ? unexpectedField(field, "must be a file, not a text field")
            : unexpectedField(extra, `is not allowed (send only the file as "${field}")`),
        );
      }
      const file = req.file;
      if (file?.buffer === undefined) return next(unexpectedField(field, "is required"));
      const received: Record<string, unknown> = {};
      for (const name of allowed) if (Object.hasOwn(body, name)) received[name] = body[name];
      textFieldsOf.set(req, received);
      files.set(req, {
        bytes: new Uint8Array(file.buffer.buffer, file.buffer.byteOffset, file.buffer.byteLength),
        // A pooled slot is shared memory: never moved (see uploadStorage.ts).
        ownsBuffer: (file as { ownsBuffer?: unknown }).ownsBuffer === true,
        holdForReading: holderOf((file as { lease?: UploadBufferLease }).lease),
        originalName: file.originalname.slice(0, 255),
        size: file.size,
      });
      next();
    });
  };
}
