import { expect } from "chai";
import { createChainClock } from "../../src/chain/chainClock.ts";
import { ManualClock } from "../../src/clock.ts";
import { createLogger } from "../../src/logger.ts";

const WALL = Date.UTC(2026, 10, 22, 12);

function fakeChain(seconds: number) {
  const chain = {
    timestamp: BigInt(seconds),
    fail: false,
    reads: 0,
    getBlock: async () => {
      chain.reads++;
      if (chain.fail) throw new Error("connection refused");
      return { timestamp: chain.timestamp } as never;
    },
  };
  return chain;
}

describe("chain clock", () => {
  const logger = createLogger({ level: "silent" });

  it("is the wall clock until it follows a chain", () => {
    const wall = new ManualClock(WALL);
    const clock = createChainClock({ wall, logger });
    expect(clock.now()).to.equal(WALL);
    wall.advance(5_000);
    expect(clock.now()).to.equal(WALL + 5_000);
  });

  it("moves forward with a chain that is ahead, never behind the wall, never backwards", async () => {
    const wall = new ManualClock(WALL);
    const chain = fakeChain(WALL / 1000 - 3_600); // a quiet chain: its latest block is an hour old
    const clock = createChainClock({ wall, logger });
    await clock.follow(chain, 60_000);
    try {
      expect(clock.now()).to.equal(WALL);

      chain.timestamp = BigInt(WALL / 1000 + 2 * 86_400); // time travel: two days ahead
      await clock.refresh();
      expect(clock.now()).to.equal(WALL + 2 * 86_400_000);
      wall.advance(1_000);
      expect(clock.now()).to.equal(WALL + 2 * 86_400_000 + 1_000);

      chain.timestamp = BigInt(WALL / 1000); // a chain reset (or a reorg) does not turn the clock back
      await clock.refresh();
      expect(clock.now()).to.equal(WALL + 2 * 86_400_000 + 1_000);
    } finally {
      clock.stop();
    }
  });

  it("keeps its offset while the chain does not answer, and reads once at a time", async () => {
    const wall = new ManualClock(WALL);
    const chain = fakeChain(WALL / 1000 + 600);
    const clock = createChainClock({ wall, logger });
    await clock.follow(chain, 60_000);
    try {
      expect(clock.now()).to.equal(WALL + 600_000);
      chain.fail = true;
      await clock.refresh();
      expect(clock.now()).to.equal(WALL + 600_000);
      chain.fail = false;
      const before = chain.reads;
      await Promise.all([clock.refresh(), clock.refresh(), clock.refresh()]);
      expect(chain.reads - before).to.equal(1);
    } finally {
      clock.stop();
    }
  });
});
