/**
 * Every HTTP answer the simulated users got (and every request that got none): streamed to an NDJSON file as it
 * happens, so memory does not grow with the run beyond the aggregates kept here, which are O(requests) numbers
 * (one latency per request) and O(seconds) buckets — never per user pair.
 */
import { createWriteStream, type WriteStream } from "node:fs";

export interface RequestRecord {
  /** Route template, e.g. "POST /api/workouts/upload". */
  route: string;
  /** HTTP status; 0 = no answer (connection refused/reset, client timeout). */
  status: number;
  latencyMs: number;
  /** Epoch ms when the request started. */
  at: number;
  replica: string;
  /** The Retry-After header, when the answer had one. */
  retryAfter?: string;
  /** Problem code of an error answer, or the network error's code. */
  code?: string;
}

export interface SecondBucket {
  requests: number;
  /** Answers >= 500 and requests without an answer. */
  errors: number;
  latencies: number[];
}

export class RequestLog {
  readonly #file: WriteStream;
  readonly #latencies = new Map<string, number[]>();
  readonly #statuses = new Map<string, number>();
  readonly #seconds = new Map<number, SecondBucket>();
  /** 5xx answers and unanswered requests, kept whole for the audit (few in a healthy run). */
  readonly failures: RequestRecord[] = [];
  count = 0;
  firstAt = Number.POSITIVE_INFINITY;
  lastAt = 0;

  constructor(path: string) {
    this.#file = createWriteStream(path);
  }

  add(record: RequestRecord): void {
    this.count += 1;
    this.#file.write(`${JSON.stringify(record)}\n`);
    this.firstAt = Math.min(this.firstAt, record.at);
    this.lastAt = Math.max(this.lastAt, record.at + record.latencyMs);
    const key = String(record.status);
    this.#statuses.set(key, (this.#statuses.get(key) ?? 0) + 1);
    if (record.status !== 0) {
      const list = this.#latencies.get(record.route) ?? [];
      list.push(record.latencyMs);
      this.#latencies.set(record.route, list);
    }
    const second = Math.floor(record.at / 1000);
    const bucket = this.#seconds.get(second) ?? { requests: 0, errors: 0, latencies: [] };
    bucket.requests += 1;
    if (record.status === 0 || record.status >= 500) {
      bucket.errors += 1;
      this.failures.push(record);
    } else bucket.latencies.push(record.latencyMs);
    this.#seconds.set(second, bucket);
  }

  latenciesByRoute(): ReadonlyMap<string, number[]> {
    return this.#latencies;
  }

  statuses(): ReadonlyMap<string, number> {
    return this.#statuses;
  }

  seconds(): ReadonlyMap<number, SecondBucket> {
    return this.#seconds;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#file.end(resolve));
  }
}
