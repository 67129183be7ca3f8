/**
 * The recent latencies of one kind of call (API answers, coach answers, model calls), for `GET /health?deep=1`:
 * the last `capacity` observations within `maxAgeMs`, in a ring buffer (recording is two array writes), and
 * their p95 computed when asked. Prometheus keeps the long-term histograms; this answers "how is it now".
 */
export interface LatencyWindowParameters {
  /** Most observations kept. Default 1 000. */
  capacity?: number;
  /** Observations older than this are ignored. Default 5 minutes. */
  maxAgeMs?: number;
  /** Milliseconds since the epoch (the agent's clock; tests pass their own). */
  now: () => number;
}

export interface LatencySummary {
  /** Observations in the window. */
  count: number;
  /** 95th percentile in seconds (nearest rank), null without observations. */
  p95Seconds: number | null;
}

export class LatencyWindow {
  readonly #seconds: Float64Array;
  readonly #at: Float64Array;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #next = 0;
  #size = 0;

  constructor({ capacity = 1_000, maxAgeMs = 5 * 60_000, now }: LatencyWindowParameters) {
    this.#seconds = new Float64Array(capacity);
    this.#at = new Float64Array(capacity);
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  record(seconds: number): void {
    this.#seconds[this.#next] = seconds;
    this.#at[this.#next] = this.#now();
    this.#next = (this.#next + 1) % this.#seconds.length;
    if (this.#size < this.#seconds.length) this.#size++;
  }

  summary(): LatencySummary {
    const since = this.#now() - this.#maxAgeMs;
    const recent: number[] = [];
    for (let i = 0; i < this.#size; i++) {
      if ((this.#at[i] as number) >= since) recent.push(this.#seconds[i] as number);
    }
    if (recent.length === 0) return { count: 0, p95Seconds: null };
    recent.sort((a, b) => a - b);
    const rank = Math.ceil(0.95 * recent.length) - 1;
    return { count: recent.length, p95Seconds: recent[rank] as number };
  }
}
