/**
 * The simulated users' HTTP client: Node's fetch (undici) over the agent replicas, balanced client-side
 * (round-robin, as a load balancer in front of them would), failing over to the next replica on a connection
 * error, waiting out 503/429 with their Retry-After, and recording every answer in the RequestLog.
 */
import type { RequestLog } from "./requestLog.ts";

export interface Replica {
  name: string;
  url: string;
}

export interface CallParameters {
  method: "GET" | "POST" | "PUT";
  /** Path with its real ids, e.g. /api/commitments/7. */
  path: string;
  /** Route template for the records, e.g. GET /api/commitments/:id. */
  route: string;
  cookie?: string;
  json?: unknown;
  form?: () => FormData;
  idempotencyKey?: string;
  /** Abort the first attempt after this many ms (a client timeout), then retry. */
  abortFirstAfterMs?: number;
  /** Give up after this long, ms (default 90 s: longer than any declared outage). */
  deadlineMs?: number;
}

export interface CallResult {
  status: number;
  body: unknown;
  headers: Headers;
  /** Attempts made (1 = answered first time). */
  attempts: number;
}

export class NoAnswerError extends Error {
  readonly route: string;
  readonly lastStatus: number;
  constructor(route: string, lastStatus: number) {
    super(`${route}: no definitive answer before the deadline (last status ${lastStatus})`);
    this.route = route;
    this.lastStatus = lastStatus;
  }
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ReplicaClient {
  #next = 0;
  readonly replicas: readonly Replica[];
  readonly log: RequestLog;
  /** Sent as Origin on unsafe requests (the agent's allowlisted web origin). */
  readonly origin: string;

  constructor(replicas: readonly Replica[], log: RequestLog, origin: string) {
    this.replicas = replicas;
    this.log = log;
    this.origin = origin;
  }

  #pick(): Replica {
    const replica = this.replicas[this.#next % this.replicas.length];
    this.#next += 1;
    if (replica === undefined) throw new Error("no replicas");
    return replica;
  }

  async #once(replica: Replica, p: CallParameters, abortAfterMs: number | undefined): Promise<CallResult> {
    const headers: Record<string, string> = {};
    if (p.cookie !== undefined) headers.cookie = p.cookie;
    if (p.method !== "GET") headers.origin = this.origin;
    if (p.idempotencyKey !== undefined) headers["idempotency-key"] = p.idempotencyKey;
    let body: string | FormData | undefined;
    if (p.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(p.json);
    } else if (p.form !== undefined) body = p.form();
    const started = Date.now();
    const t0 = performance.now();
    try {
      const res = await fetch(`${replica.url}${p.path}`, {
        method: p.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(abortAfterMs ?? 30_000),
      });
      const text = await res.text();
      const latencyMs = performance.now() - t0;
      let parsed: unknown = text;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      const retryAfter = res.headers.get("retry-after");
      const code =
        res.status >= 400 && typeof parsed === "object" && parsed !== null && "code" in parsed
          ? String((parsed as { code: unknown }).code)
          : undefined;
      this.log.add({
        route: p.route,
        status: res.status,
        latencyMs,
        at: started,
        replica: replica.name,
        ...(retryAfter === null ? {} : { retryAfter }),
        ...(code === undefined ? {} : { code }),
      });
      return { status: res.status, body: parsed, headers: res.headers, attempts: 1 };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      // A deliberate client timeout (abortFirstAfterMs) is the scenario, not the agent's failure.
      const code = abortAfterMs !== undefined ? "client_abort" : (cause?.code ?? (error as Error).name);
      this.log.add({
        route: p.route,
        status: 0,
        latencyMs: performance.now() - t0,
        at: started,
        replica: replica.name,
        code,
      });
      return { status: 0, body: undefined, headers: new Headers(), attempts: 1 };
    }
  }

  /** One logical request: retried on no answer (next replica), 429 and 5xx-with-retry until the deadline. */
  async call(p: CallParameters): Promise<CallResult> {
    const deadline = Date.now() + (p.deadlineMs ?? 90_000);
    let attempts = 0;
    let last: CallResult | undefined;
    for (;;) {
      attempts += 1;
      const abort = attempts === 1 ? p.abortFirstAfterMs : undefined;
      const result = await this.#once(this.#pick(), p, abort);
      last = result;
      const inProgress =
        result.status === 409 &&
        (result.body as { code?: string } | undefined)?.code === "idempotency_key_in_progress";
      if (result.status !== 0 && !RETRY_STATUSES.has(result.status) && !inProgress)
        return { ...result, attempts };
      if (Date.now() >= deadline) break;
      const retryAfter = Number(result.headers.get("retry-after") ?? "");
      const waitMs =
        result.status === 0
          ? Math.min(2_000, 100 * attempts)
          : Number.isFinite(retryAfter) && retryAfter > 0
            ? Math.min(5_000, retryAfter * 1000)
            : Math.min(3_000, 250 * attempts);
      await sleep(waitMs + Math.random() * 200);
    }
    if (last !== undefined && last.status !== 0) return { ...last, attempts };
    throw new NoAnswerError(p.route, last?.status ?? 0);
  }
}
