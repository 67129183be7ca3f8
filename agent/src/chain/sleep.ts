/**
 * Waiting, injectable: the chain layer's loops (receipt polling, gas bumps, the indexer and keeper loops)
 * wait through a `Sleep`, so tests can drive them with a ManualClock instead of real time.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Resolves after `ms` of real time, or at once when `signal` aborts (never rejects). */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
