/**
 * Outbound HTTP(S) to URLs users give us (calendar feeds, webhooks), safe against SSRF:
 * - https only (plain http only when `allowHttp`);
 * - the host is resolved here, every address it resolves to is checked (`isRefusedAddress`) unless
 *   `allowPrivate` allows it, and the connection goes to the checked address (no second lookup to rebind);
 * - redirects are followed by hand, at most `maxRedirects`, each hop checked the same way;
 * - one deadline for the whole exchange, and the body is cut off past `maxBytes`.
 * Refusals are `ValidationError` `url_refused`, network failures `ValidationError` `url_unreachable`, a body
 * too large `TooLargeError` `response_too_large`; `details.field` is `field`.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { TooLargeError, ValidationError } from "../../errors.ts";
import { isRefusedAddress } from "./refusedAddress.ts";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface SafeRequestPolicy {
  /** Allow private/loopback/link-local targets: `true` for all, or a predicate per address. Default false. */
  allowPrivate?: boolean | ((address: string) => boolean);
  /** Allow plain `http:` URLs. Default false. */
  allowHttp?: boolean;
  /** Whole exchange, redirects included. */
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** DNS resolution (tests inject names). Default: the system resolver, all addresses. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

export interface SafeRequestParameters {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** Field named in errors (`url`, `webhookUrl`). */
  field?: string;
  signal?: AbortSignal;
}

export interface SafeRequestReturnType {
  status: number;
  headers: IncomingMessage["headers"];
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
}

const systemResolve = async (hostname: string): Promise<ResolvedAddress[]> =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((r) => ({
    address: r.address,
    family: r.family === 6 ? 6 : 4,
  }));

function refused(field: string, message: string, details: Record<string, unknown> = {}): ValidationError {
  return new ValidationError({ code: "url_refused", message, details: { field, ...details } });
}

function unreachable(field: string, message: string, cause?: unknown): ValidationError {
  return new ValidationError({ code: "url_unreachable", message, details: { field }, cause });
}

function isAllowed(address: string, policy: SafeRequestPolicy): boolean {
  if (!isRefusedAddress(address)) return true;
  const allow = policy.allowPrivate ?? false;
  return typeof allow === "function" ? allow(address) : allow;
}

/** Checks a URL's scheme and resolves its host to one address that may be contacted. */
export async function resolveTarget(
  url: URL,
  policy: SafeRequestPolicy,
  field: string,
): Promise<ResolvedAddress> {
  if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowHttp === true)) {
    throw refused(field, "Only https URLs are allowed.", { protocol: url.protocol });
  }
  if (url.username !== "" || url.password !== "")
    throw refused(field, "URLs with credentials are not allowed.");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: ResolvedAddress[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (policy.resolve ?? systemResolve)(host);
    } catch (error) {
      throw unreachable(field, `The host ${host} could not be resolved.`, error);
    }
  }
  if (addresses.length === 0) throw unreachable(field, `The host ${host} has no address.`);
  // Every address must be allowed: a name that also resolves to a private address is refused outright.
  const bad = addresses.find((a) => !isAllowed(a.address, policy));
  if (bad !== undefined) {
    throw refused(field, "The URL points to a private, loopback or link-local address.", { host });
  }
  return addresses[0] as ResolvedAddress;
}

function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (typeof options === "object" && options !== null && "all" in options && options.all === true) {
      (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [target]);
    } else {
      callback(null, target.address, target.family);
    }
  };
}

function once(
  url: URL,
  target: ResolvedAddress,
  parameters: SafeRequestParameters,
  policy: SafeRequestPolicy,
  signal: AbortSignal,
  field: string,
): Promise<SafeRequestReturnType> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const body = parameters.body === undefined ? undefined : Buffer.from(parameters.body, "utf8");
    const request = client.request(
      url,
      {
        method: parameters.method ?? "GET",
        headers: {
          "user-agent": "resolution-autopilot-agent",
          ...(body === undefined ? {} : { "content-length": String(body.length) }),
          ...parameters.headers,
        },
        lookup: pinnedLookup(target),
        signal,
        agent: false,
      },
      (response) => {
        const declared = Number(response.headers["content-length"] ?? Number.NaN);
        if (Number.isFinite(declared) && declared > policy.maxBytes) {
          response.destroy();
          reject(tooLarge(field, policy.maxBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > policy.maxBytes) {
            response.destroy();
            reject(tooLarge(field, policy.maxBytes));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
            url: url.href,
          }),
        );
        response.on("error", (error) => reject(unreachable(field, "The response was cut off.", error)));
      },
    );
    request.on("error", (error) => {
      if (signal.aborted) reject(unreachable(field, `No answer within ${policy.timeoutMs} ms.`, error));
      // The cause (refused, reset, TLS...) is logged with the error, never echoed: it would map the network.
      else reject(unreachable(field, "The request failed.", error));
    });
    request.end(body);
  });
}

function tooLarge(field: string, maxBytes: number): TooLargeError {
  return new TooLargeError({
    code: "response_too_large",
    message: `The response is larger than ${maxBytes} bytes.`,
    details: { field, maxBytes },
  });
}

export async function safeRequest(
  parameters: SafeRequestParameters,
  policy: SafeRequestPolicy,
): Promise<SafeRequestReturnType> {
  const field = parameters.field ?? "url";
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const signal = parameters.signal === undefined ? timeout : AbortSignal.any([timeout, parameters.signal]);
  let url: URL;
  try {
    url = new URL(parameters.url);
  } catch (error) {
    throw new ValidationError({
      code: "url_refused",
      message: "Not a valid URL.",
      details: { field },
      cause: error,
    });
  }
  for (let hop = 0; ; hop += 1) {
    const target = await resolveTarget(url, policy, field);
    if (signal.aborted) throw unreachable(field, `No answer within ${policy.timeoutMs} ms.`);
    const response = await once(url, target, parameters, policy, signal, field);
    const location = response.headers.location;
    if (response.status < 300 || response.status >= 400 || location === undefined) return response;
    if (hop >= policy.maxRedirects) {
      throw refused(field, `Too many redirects (at most ${policy.maxRedirects}).`);
    }
    try {
      url = new URL(location, url);
    } catch (error) {
      throw unreachable(field, "The redirect location is not a valid URL.", error);
    }
  }
}
