/** Time is injected everywhere logic depends on it, so windows, grace periods and quiet hours are testable. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests can set and advance. */
export class ManualClock implements Clock {
  #ms: number;

  constructor(start: Date | number) {
    this.#ms = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.#ms;
  }

  set(at: Date | number): void {
    this.#ms = typeof at === "number" ? at : at.getTime();
  }

  advance(ms: number): void {
    this.#ms += ms;
  }
}
