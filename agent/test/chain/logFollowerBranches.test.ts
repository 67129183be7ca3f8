/**
 * The log follower against a chain whose branches a test switches at will (a fake RPC: block hashes per branch)
 * and a source that reads "items" created at known blocks of each branch: the reorg cases a local node cannot
 * make, such as a branch the chain left winning back.
 */
import { expect } from "chai";
import type { Hex } from "viem";
import {
  type BlockRange,
  createLogFollower,
  type LogFollower,
  type LogFollowerSource,
} from "../../src/chain/logFollower.ts";
import { ManualClock } from "../../src/clock.ts";
import { collectLogs, START } from "../http/testApp.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "../store/storeDrivers.ts";

/** A branch: its name (in its blocks' hashes), its length, and the block each of its items was created at. */
interface Branch {
  name: string;
  /** Blocks up to this one share the hashes of `parent` (the fork point). */
  forkedAt: number;
  parent?: Branch;
  head: number;
  items: Record<string, number>;
}

function hashOf(branch: Branch, block: number): Hex {
  if (branch.parent !== undefined && block <= branch.forkedAt) return hashOf(branch.parent, block);
  const hex = Buffer.from(`${branch.name}:${block}`).toString("hex").padEnd(64, "0").slice(0, 64);
  return `0x${hex}`;
}

for (const driver of storeDrivers) {
  describe(`chain: log follower across branches (fake chain) on ${driver.name}`, () => {
    const clock = new ManualClock(START);
    const { logger, lines } = collectLogs("debug");
    let opened: OpenedTestStore | undefined;
    let current: Branch;
    /** The cache: item → the block it was read at. */
    const rows = new Map<string, number>();

    before(async function () {
      opened = await openOrSkip(this, driver, clock, `chain: log follower across branches on ${driver.name}`);
    });
    after(async () => {
      await opened?.cleanup();
    });

    const client = {
      getBlockNumber: async () => BigInt(current.head),
      getBlock: async ({ blockNumber }: { blockNumber: bigint }) => {
        if (Number(blockNumber) > current.head)
          throw Object.assign(new Error("no block"), { name: "BlockNotFoundError" });
        return { hash: hashOf(current, Number(blockNumber)) };
      },
    };

    /** Whether `item` exists at `block` of the current branch. */
    const existsAt = (item: string, block: number) => {
      const created = current.items[item];
      return created !== undefined && created <= block;
    };
    const readAt = (items: string[], block: number) => {
      const read = items.map((item) => existsAt(item, block));
      return async () => {
        let updated = 0;
        let removed = 0;
        for (const [i, item] of items.entries()) {
          if (read[i] === true) {
            rows.set(item, block);
            updated++;
          } else if (rows.delete(item)) removed++;
        }
        return { updated, removed };
      };
    };
    const source: LogFollowerSource<string> = {
      getLogs: async ({ fromBlock, toBlock }: BlockRange) =>
        Object.entries(current.items)
          .filter(([, block]) => block >= fromBlock && block <= toBlock)
          .map(([item]) => item),
      readRange: async (logs, range) => ({ write: readAt([...logs], range.toBlock), dirty: logs.length }),
      rewind: async (ancestor) =>
        readAt(
          [...rows.entries()].filter(([, block]) => block > ancestor).map(([item]) => item),
          ancestor,
        ),
    };

    function follower(vault: `0x${string}`, writeHook?: () => Promise<void>): LogFollower {
      if (opened === undefined) throw new Error("no store");
      const hooked: LogFollowerSource<string> =
        writeHook === undefined
          ? source
          : {
              ...source,
              readRange: async (logs, range) => {
                const { write, dirty } = await source.readRange(logs, range);
                return {
                  write: async (tx) => {
                    await writeHook();
                    return write(tx);
                  },
                  dirty,
                };
              },
            };
      return createLogFollower({
        name: "indexer",
        client: client as never,
        store: opened.store,
        log: logger,
        cursorKey: { chainId: 31337, vault },
        deploymentBlock: 1,
        confirmations: 0,
        maxBlockRange: 100,
        maxRangesPerRun: 100,
        reorgDepth: 64,
        rememberBlocks: true,
        source: hooked,
      });
    }

    const caughtUp = async (target: LogFollower) => {
      for (let run = 0; run < 20; run++) if ((await target.runOnce()).caughtUp) return;
      expect.fail("not caught up");
    };

    // A: item m at 3, item p at 6 (A only), 10 blocks, indexed one block at a time (every block remembered).
    const a: Branch = { name: "a", forkedAt: 0, head: 10, items: { m: 3, p: 6 } };
    // B forks after block 4 (no p; n at 7) and is longer.
    const b: Branch = { name: "b", parent: a, forkedAt: 4, head: 12, items: { m: 3, n: 7 } };
    // A wins back, longer still: A's blocks 1..10 and 11..14.
    const aAgain: Branch = { ...a, head: 14 };

    const followA = async (target: LogFollower) => {
      for (let head = 1; head <= a.head; head++) {
        current = { ...a, head };
        await caughtUp(target);
      }
      expect([...rows.keys()].sort()).to.deep.equal(["m", "p"]);
    };

    /** A (followed by `onA`), then B wins (`onB`), then A wins back (`onAgain`): the cache ends as A's again. */
    const acrossBranches = async (onA: LogFollower, onB: LogFollower, onAgain: LogFollower) => {
      await followA(onA);
      current = b;
      await caughtUp(onB);
      expect([...rows.keys()].sort()).to.deep.equal(["m", "n"]);
      current = aAgain;
      await caughtUp(onAgain);
      expect([...rows.keys()].sort()).to.deep.equal(["m", "p"]);
    };

    beforeEach(() => {
      rows.clear();
      lines.length = 0;
    });

    it("a branch the chain left wins back: the repair goes below the fork, not to a block remembered from before", async () => {
      const target = follower("0x00000000000000000000000000000000000000a1");
      // Blocks 5..10 of A match again when A wins back, but the cache's rows above 4 were read on B, and p
      // (deleted by the first repair) must be indexed again.
      await acrossBranches(target, target, target);
      expect(
        lines.filter((line) => line.msg === "reorg detected; cache rewound to the common ancestor"),
      ).to.have.length(2);
    });

    // Two transactions at once: PostgreSQL only (a PGlite transaction excludes every other, so there the second
    // one starts after the first committed and finds its cursor).
    const concurrentIt = driver.name.startsWith("PostgreSQL") ? it : undefined;
    concurrentIt?.(
      "two first commits at once (no cursor yet, no row to lock): the later stops instead of overwriting the cursor",
      async () => {
        const vault = "0x00000000000000000000000000000000000000a3";
        current = { ...a, head: 4 };
        let release = () => {};
        const mayGoOn = new Promise<void>((resolve) => {
          release = resolve;
        });
        const slow = follower(vault, () => mayGoOn);
        const slowRun = slow.runOnce();
        try {
          current = { ...a, head: 6 };
          expect((await follower(vault).runOnce()).toBlock).to.equal(6);
        } finally {
          release();
        }
        expect((await slowRun).toBlock).to.equal(null);
        expect(
          lines.some((line) => line.msg === "another indexer moved the cursor; stopping this run"),
        ).to.equal(true);
        expect((await opened?.store.indexerCursor.get({ chainId: 31337, vault }))?.blockNumber).to.equal(6);
      },
    );

    it("after another process moved the cursor, a process repairs without the blocks it remembered before", async () => {
      const vault = "0x00000000000000000000000000000000000000a2";
      const first = follower(vault);
      await acrossBranches(first, follower(vault), first);
    });
  });
}
