/**
 * The background loop's failure backoff (issue 17: the load test's faults). After an RPC outage of 30 s the
 * indexer and keeper must be back within seconds, not sit out a 32-60 s backoff while the RPC answers again.
 */
import { expect } from "chai";
import { createPollLoop } from "../../src/chain/pollLoop.ts";
import type { Sleep } from "../../src/chain/sleep.ts";
import { createLogger } from "../../src/logger.ts";

/** Runs the loop with a sleep that only records its waits; `failFor` runs fail, then every run succeeds. */
async function waitsAround(p: {
  intervalMs: number;
  failFor: number;
  maxBackoffMs?: number;
}): Promise<number[]> {
  const waits: number[] = [];
  let runs = 0;
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const sleep: Sleep = async (ms) => {
    waits.push(ms);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const loop = createPollLoop({
    name: "indexer",
    intervalMs: p.intervalMs,
    ...(p.maxBackoffMs === undefined ? {} : { maxBackoffMs: p.maxBackoffMs }),
    logger: createLogger({ level: "silent" }),
    traced: false,
    sleep,
    run: async () => {
      runs++;
      if (runs === p.failFor + 2) finished();
      if (runs <= p.failFor) throw new Error("the RPC endpoint does not answer");
      return undefined;
    },
  });
  loop.start();
  await done;
  await loop.stop();
  return waits;
}

describe("createPollLoop", () => {
  it("backs off exponentially from the interval after failures, then runs on its interval again", async () => {
    const waits = await waitsAround({ intervalMs: 500, failFor: 3 });
    expect(waits.slice(0, 4)).to.deep.equal([1_000, 2_000, 4_000, 500]);
  });

  it("waits at most 10 s between retries by default, so a 30 s outage is over for it within 10 s", async () => {
    // The indexer's and keeper's loops on the default 2 s interval, failing for 8 runs (~60 s with 10 s waits).
    const waits = await waitsAround({ intervalMs: 2_000, failFor: 8 });
    expect(waits.slice(0, 8)).to.deep.equal([4_000, 8_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(waits[8]).to.equal(2_000);
  });

  it("never backs off below its own interval (a slow loop keeps its pace) and honours a smaller cap", async () => {
    expect((await waitsAround({ intervalMs: 30_000, failFor: 2 })).slice(0, 3)).to.deep.equal([
      30_000, 30_000, 30_000,
    ]);
    expect((await waitsAround({ intervalMs: 5, failFor: 3, maxBackoffMs: 15 })).slice(0, 3)).to.deep.equal([
      10, 15, 15,
    ]);
  });
});
