/**
 * In-process mutual exclusion: `serialize(work)` runs works one at a time in call order. The transaction
 * sender holds it while it picks a nonce, signs, records and broadcasts, so nonces are never handed out twice.
 */
export type Serialize = <T>(work: () => Promise<T>) => Promise<T>;

export function createSerializer(): Serialize {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}
