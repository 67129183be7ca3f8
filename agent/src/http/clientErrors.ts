/**
 * Requests Node's HTTP parser refuses before any route sees them (a malformed request line, a bad header, an
 * impossible `Content-Length`, headers over the size limit, headers that never finish) get a problem document like
 * every other refusal, instead of Node's bare `400 Bad Request` with no body: the status, a stable `code`, and the
 * part of the request that is wrong. The connection is closed after it (ended, then destroyed), as Node closes it.
 */
import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { PROBLEM_CONTENT_TYPE, problemType, titleFor } from "./problem.ts";

interface Refusal {
  status: number;
  code: string;
  detail: string;
  field?: string;
}

/** llhttp's and Node's error codes → the answer; anything else is a malformed request. */
function refusalOf(code: string | undefined): Refusal {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        code: "headers_too_large",
        detail: "The request line and headers are larger than allowed.",
        field: "(headers)",
      };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return {
        status: 408,
        code: "request_incomplete",
        detail: "The request did not arrive in full in time.",
      };
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return {
        status: 413,
        code: "chunk_extensions_too_large",
        detail: "The chunk extensions of the request body are larger than allowed.",
        field: "transfer-encoding",
      };
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
      return {
        status: 400,
        code: "invalid_content_length",
        detail: "The Content-Length header is not valid for this request.",
        field: "content-length",
      };
    case "HPE_INVALID_TRANSFER_ENCODING":
      return {
        status: 400,
        code: "invalid_transfer_encoding",
        detail: "The Transfer-Encoding header is not valid (only chunked is understood).",
        field: "transfer-encoding",
      };
    case "HPE_INVALID_HEADER_TOKEN":
    case "HPE_LF_EXPECTED":
    case "HPE_CR_EXPECTED":
      return {
        status: 400,
        code: "invalid_header",
        detail: "A request header is malformed (a name or value with characters HTTP does not allow).",
        field: "(headers)",
      };
    case "HPE_INVALID_METHOD":
      return { status: 400, code: "invalid_method", detail: "The request method is not one HTTP knows." };
    default:
      return { status: 400, code: "malformed_request", detail: "The request is not valid HTTP/1.1." };
  }
}

/** The whole raw answer to a request the parser refused with `code`: status line, headers, problem document. */
export function clientErrorAnswer(code: string | undefined): string {
  const refusal = refusalOf(code);
  const title = titleFor(refusal.status);
  const body = JSON.stringify({
    type: problemType(refusal.code),
    title,
    status: refusal.status,
    detail: refusal.detail,
    code: refusal.code,
    ...(refusal.field !== undefined ? { field: refusal.field } : {}),
  });
  return (
    `HTTP/1.1 ${refusal.status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * The server's `clientError` listener. Writes the answer only where Node itself would write one: on a socket still
 * writable whose current response (if any) has sent nothing yet; otherwise the socket is just closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const current = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  // Ended and then destroyed, as Node does without a listener: `end` alone only half-closes the socket (the
  // server allows half-open connections), which left the request it interrupted open until the client left.
  socket.end(clientErrorAnswer(error.code), () => socket.destroy());
}
