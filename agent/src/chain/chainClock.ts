/**
 * The agent's clock on a local development chain whose time is moved forward (`evm_increaseTime`, as the demo,
 * the browser tests and a developer exploring grace periods do): the wall clock, pushed forward to the latest
 * block's time when the chain is ahead. Never behind the wall (a quiet local chain's latest block is old), and
 * never backwards. With `CLOCK_SOURCE=system` (the default) the agent uses the wall clock alone.
 *
 * `follow()` starts refreshing the offset from the chain every `refreshMs`; until then it is the wall clock.
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { ChainClient } from "./chainClient.ts";

export interface ChainClock extends Clock {
  /** Reads the latest block now and moves the offset forward if the chain is ahead. */
  refresh(): Promise<void>;
  /** Refreshes at once, then every `refreshMs` until `stop()`. */
  follow(client: Pick<ChainClient, "getBlock">, refreshMs?: number): Promise<void>;
  stop(): void;
}

export function createChainClock({ wall, logger }: { wall: Clock; logger: Logger }): ChainClock {
  let offsetMs = 0;
  let client: Pick<ChainClient, "getBlock"> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  let inFlight: Promise<void> | undefined;

  const read = async () => {
    if (client === undefined) return;
    try {
      const block = await client.getBlock({ blockTag: "latest" });
      const ahead = Number(block.timestamp) * 1000 - wall.now();
      if (ahead > offsetMs) {
        offsetMs = ahead;
        logger.info({ offsetMs }, "clock follows the chain, ahead of the wall clock");
      }
      if (failing) logger.info("clock: the chain answers again");
      failing = false;
    } catch (error) {
      if (!failing)
        logger.warn({ err: error }, "clock: could not read the chain's time; keeping the last offset");
      failing = true;
    }
  };
  // One read at a time: a slow RPC never piles reads up.
  const refresh = () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    now: () => wall.now() + offsetMs,
    refresh,
    follow: async (chainClient, refreshMs = 1_000) => {
      client = chainClient;
      await refresh();
      if (timer !== undefined) return;
      timer = setInterval(() => void refresh(), refreshMs);
      timer.unref();
    },
    stop: () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
