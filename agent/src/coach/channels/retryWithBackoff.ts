/**
 * Retries with exponential backoff and jitter: before retry `n` (1-based) it waits a random time in
 * `[d/2, d]` with `d = min(maxDelayMs, baseDelayMs * 2^(n-1))`. Stops at `attempts` tries or at the first
 * error `isRetryable` rejects. Sleep and randomness are injectable so tests neither wait nor guess.
 */
export interface RetryPolicy {
  /** Total tries, at least 1. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryWithBackoffParameters<T> {
  task: (attempt: number) => Promise<T>;
  policy: RetryPolicy;
  isRetryable?: (error: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export type RetryWithBackoffReturnType<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: unknown; attempts: number };

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export async function retryWithBackoff<T>(
  parameters: RetryWithBackoffParameters<T>,
): Promise<RetryWithBackoffReturnType<T>> {
  const { task, policy } = parameters;
  const sleep = parameters.sleep ?? defaultSleep;
  const random = parameters.random ?? Math.random;
  const attempts = Math.max(1, Math.min(policy.attempts, 20));
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) await sleep(backoffDelay(attempt - 1, policy, random));
    try {
      return { ok: true, value: await task(attempt), attempts: attempt };
    } catch (error) {
      lastError = error;
      if (parameters.isRetryable !== undefined && !parameters.isRetryable(error)) {
        return { ok: false, error, attempts: attempt };
      }
    }
  }
  return { ok: false, error: lastError, attempts };
}
