/**
 * The run's clock: the chain's time moves `speedup` times faster than the wall (one evm_increaseTime + mine per
 * wall second), so one-hour milestone windows (the vault's minimum) pass in seconds. The agents follow it
 * (CLOCK_SOURCE=chain reads the latest block every second); users wait for chain moments with `waitUntil`.
 */
export interface ChainTimeAdmin {
  increaseTime(seconds: number): Promise<void>;
  latestTimestamp(): Promise<number>;
}

export class ChainTime {
  #timestamp = 0;
  #readAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  readonly admin: ChainTimeAdmin;
  /** Chain seconds per wall second. */
  readonly speedup: number;
  /**
   * Asked before each step: time stands still while it answers false (while the agents cannot reach the chain,
   * the chain's time does not run away from their clocks — with a real chain's 1x time it could not).
   */
  readonly canAdvance: () => Promise<boolean>;

  constructor(admin: ChainTimeAdmin, speedup: number, canAdvance: () => Promise<boolean> = async () => true) {
    this.admin = admin;
    this.speedup = speedup;
    this.canAdvance = canAdvance;
  }

  async #read(): Promise<void> {
    this.#timestamp = await this.admin.latestTimestamp();
    this.#readAt = Date.now();
  }

  /** Reads the chain's time, then moves it forward every wall second until `stop()`. */
  async start(): Promise<void> {
    await this.#read();
    this.#timer = setInterval(() => {
      if (this.#ticking !== undefined) return;
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
      });
    }, 1000);
  }

  async #tick(): Promise<void> {
    try {
      if (!(await this.canAdvance())) return;
      await this.admin.increaseTime(this.speedup - 1);
      await this.#read();
    } catch {
      // A held RPC (a reorg in progress): the next tick catches up.
    }
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
    await this.#read();
  }

  /** The chain's time now (s): the last block read, plus the wall time since (the chain's own 1x drift). */
  now(): number {
    return this.#timestamp + Math.floor((Date.now() - this.#readAt) / 1000);
  }

  /** Resolves once the chain's time is at least `timestamp` (s). */
  async waitUntil(timestamp: number): Promise<void> {
    while (this.now() < timestamp) {
      const wallMs = ((timestamp - this.now()) / this.speedup) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(100, Math.min(wallMs, 2_000))));
    }
  }

  /** Moves the chain's time forward at once (the end of the run: past every claim deadline). */
  async jump(seconds: number): Promise<void> {
    await this.admin.increaseTime(seconds);
    await this.#read();
  }
}
