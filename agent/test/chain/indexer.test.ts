import { expect } from "chai";
import { createPublicClient, type EIP1193RequestFn, hexToNumber } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { type CreateIndexerParameters, createIndexer, type Indexer } from "../../src/chain/indexer.ts";
import { createVaultReader } from "../../src/chain/vaultReader.ts";
import { ManualClock } from "../../src/clock.ts";
import { findCommitment, READ_THROUGH_BLOCK } from "../../src/services/findOwnedCommitment.ts";
import type { Store } from "../../src/store/store.ts";
import { collectLogs, START } from "../http/testApp.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "../store/storeDrivers.ts";
import { createHardhatChain, type HardhatChain } from "../support/hardhatChain.ts";
import {
  allCachedRows,
  expectCacheEqualsChain,
  recordRequests,
  resetChainTables,
} from "./chainTestSupport.ts";

for (const driver of storeDrivers) {
  const suiteTitle = `chain: indexer on ${driver.name}`;

  describe(suiteTitle, () => {
    const clock = new ManualClock(START);
    const { logger, lines } = collectLogs("debug");
    let chain: HardhatChain;
    let baseline: `0x${string}`;
    let opened: OpenedTestStore | undefined;
    let store: Store;

    before(async function () {
      opened = await openOrSkip(this, driver, clock, suiteTitle);
      store = opened.store;
      chain = await createHardhatChain();
    });

    after(async () => {
      await opened?.cleanup();
      await chain?.close();
    });

    beforeEach(async () => {
      baseline = await chain.snapshot();
      lines.length = 0;
    });

    afterEach(async () => {
      if (opened !== undefined) await resetChainTables(opened.database);
      await chain.revert(baseline);
    });

    /** getLogs ranges the indexer asked for, as [from, to]. */
    function logRanges(calls: { method: string; params: unknown }[]): [number, number][] {
      return calls
        .filter((call) => call.method === "eth_getLogs")
        .map((call) => {
          const [filter] = call.params as [{ fromBlock: `0x${string}`; toBlock: `0x${string}` }];
          return [hexToNumber(filter.fromBlock), hexToNumber(filter.toBlock)];
        });
    }

    function indexer(
      overrides: Partial<CreateIndexerParameters> & { wrap?: (r: EIP1193RequestFn) => EIP1193RequestFn } = {},
    ): Indexer {
      const { wrap, ...rest } = overrides;
      const client = createPublicClient({ chain: chain.chain, transport: chain.transport(wrap) });
      return createIndexer({
        client,
        reader: createVaultReader({ client, chainId: chain.chainId, vault: chain.vault }),
        store,
        logger,
        chainId: chain.chainId,
        vault: chain.vault,
        deploymentBlock: chain.deploymentBlock,
        confirmations: 0,
        ...rest,
      });
    }

    async function runUntilCaughtUp(target: Indexer, maxRuns = 100) {
      for (let run = 0; run < maxRuns; run++) {
        if ((await target.runOnce()).caughtUp) return;
      }
      expect.fail(`not caught up after ${maxRuns} runs`);
    }

    async function cursorBlock(): Promise<number | undefined> {
      return (await store.indexerCursor.get({ chainId: chain.chainId, vault: chain.vault }))?.blockNumber;
    }

    it("reflects creates, claims, slashes and cancels in the cache", async () => {
      const { alice, bob } = chain.accounts;
      const claimed = await chain.createEthCommitment({ owner: alice, milestones: 3 });
      const slashed = await chain.createUsdcCommitment({ owner: bob, milestones: 2 });
      const cancelled = await chain.createEthCommitment({
        owner: bob,
        start: (await chain.latestTimestamp()) + 30 * 86_400,
      });
      await chain.wallet(bob).writeContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "cancel",
        args: [cancelled],
      });
      await chain.increaseTime(61);
      await chain.claim({
        commitmentId: claimed,
        milestoneIndex: 0,
        validUntil: (await chain.latestTimestamp()) + 600,
        from: alice,
      });
      await chain.increaseTime(3_600 + 600);
      await chain.slash(slashed, 0, chain.accounts.stranger);

      const result = await indexer().runOnce();
      expect(result).to.include({ fromBlock: chain.deploymentBlock, updated: 3, removed: 0, reorg: false });
      expect(result.toBlock).to.equal(await chain.blockNumber());
      expect(result.caughtUp).to.equal(true);
      await expectCacheEqualsChain(store, chain);
      const states = (await allCachedRows(store, chain)).map((row) => [row.closed, row.milestoneStates]);
      expect(states).to.deep.equal([
        [false, ["Released", "Open", "Open"]],
        [false, ["Slashed", "Open"]],
        [true, ["Refunded", "Refunded", "Refunded"]],
      ]);
      const cursor = await store.indexerCursor.get({ chainId: chain.chainId, vault: chain.vault });
      const head = await chain.client.getBlock({ blockTag: "latest" });
      expect(cursor).to.include({ blockNumber: Number(head.number), blockHash: head.hash });
    });

    it("follows appeals (v2): opened, settled by a late quorum, ruled by the arbiter, expired", async () => {
      const { alice, admin, stranger } = chain.accounts;
      const id = await chain.createEthCommitment({ owner: alice, milestones: 3, period: 3_600, grace: 600 });
      const mined = async (hash: `0x${string}`) => {
        const receipt = await chain.client.waitForTransactionReceipt({ hash, pollingInterval: 1 });
        expect(receipt.status).to.equal("success");
      };
      // Window 0 ended (deadline not passed): appeal it; then window 1 likewise.
      await chain.increaseTime(60 + 3_600 + 60);
      const bond = await chain.appeal(id, 0, alice);
      await chain.increaseTime(3_600);
      await chain.appeal(id, 1, alice);
      await runUntilCaughtUp(indexer());
      await expectCacheEqualsChain(store, chain);
      const [appealed] = await allCachedRows(store, chain);
      expect(appealed?.milestoneStates).to.deep.equal(["Appealed", "Appealed", "Open"]);
      expect(appealed?.appeals.map((a) => [a.index, a.bond])).to.deep.equal([
        [0, bond.toString()],
        [1, bond.toString()],
      ]);

      // A late quorum settles milestone 0 (past its deadline); the arbiter rejects milestone 1.
      await chain.claim({
        commitmentId: id,
        milestoneIndex: 0,
        validUntil: (await chain.latestTimestamp()) + 600,
        from: alice,
      });
      const arbiterRole = await chain.client.readContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "ARBITER_ROLE",
      });
      const vault = { address: chain.vault, abi: commitmentVaultAbi } as const;
      await mined(
        await chain
          .wallet(admin)
          .writeContract({ ...vault, functionName: "grantRole", args: [arbiterRole, stranger.address] }),
      );
      await mined(
        await chain
          .wallet(stranger)
          .writeContract({ ...vault, functionName: "resolveAppeal", args: [id, 1n, false] }),
      );
      // Milestone 2: appealed, then nobody rules for 14 days: anyone expires it (the owner is made whole).
      await chain.increaseTime(3_600);
      await chain.appeal(id, 2, alice);
      await chain.increaseTime(14 * 86_400 + 1);
      await mined(
        await chain
          .wallet(stranger)
          .writeContract({ ...vault, functionName: "expireAppeal", args: [id, 2n] }),
      );

      await runUntilCaughtUp(indexer());
      await expectCacheEqualsChain(store, chain);
      const [settled] = await allCachedRows(store, chain);
      expect(settled?.milestoneStates).to.deep.equal(["Released", "Slashed", "Refunded"]);
    });

    it("with maxBlockRange 2 processes every block of 20+ exactly once", async () => {
      const ids: bigint[] = [];
      for (let i = 0; i < 8; i++) {
        ids.push(await chain.createEthCommitment({ milestones: 1 + (i % 3) }));
        await chain.mine(2);
      }
      const head = await chain.blockNumber();
      expect(head - chain.deploymentBlock).to.be.greaterThan(20);
      const calls: { method: string; params: unknown }[] = [];
      await runUntilCaughtUp(indexer({ maxBlockRange: 2, maxRangesPerRun: 4, wrap: recordRequests(calls) }));

      const ranges = logRanges(calls);
      expect(ranges[0]?.[0]).to.equal(chain.deploymentBlock);
      expect(ranges.at(-1)?.[1]).to.equal(head);
      for (const [i, [from, to]] of ranges.entries()) {
        expect(to - from + 1).to.be.within(1, 2);
        if (i > 0) expect(from).to.equal((ranges[i - 1] as [number, number])[1] + 1);
      }
      expect(await cursorBlock()).to.equal(head);
      await expectCacheEqualsChain(store, chain);
      expect((await allCachedRows(store, chain)).map((row) => row.commitmentId)).to.deep.equal(ids);
    });

    it("halves the range and retries when the RPC says the range is too large", async () => {
      for (let i = 0; i < 4; i++) {
        await chain.createEthCommitment();
        await chain.mine(3);
      }
      const head = await chain.blockNumber();
      const accepted: [number, number][] = [];
      let refused = 0;
      const limitRange = (request: EIP1193RequestFn) =>
        (async (args: { method: string; params?: unknown }) => {
          if (args.method === "eth_getLogs") {
            const [filter] = args.params as [{ fromBlock: `0x${string}`; toBlock: `0x${string}` }];
            const from = hexToNumber(filter.fromBlock);
            const to = hexToNumber(filter.toBlock);
            if (to - from + 1 > 3) {
              refused++;
              throw Object.assign(new Error("query exceeds max block range 3"), { code: -32_602 });
            }
            accepted.push([from, to]);
          }
          return (request as (a: typeof args) => Promise<unknown>)(args);
        }) as EIP1193RequestFn;
      await runUntilCaughtUp(indexer({ maxBlockRange: 10, wrap: limitRange }));

      expect(refused).to.be.greaterThan(0);
      expect(accepted[0]?.[0]).to.equal(chain.deploymentBlock);
      expect(accepted.at(-1)?.[1]).to.equal(head);
      for (const [i, [from, to]] of accepted.entries()) {
        expect(to - from + 1).to.be.at.most(3);
        if (i > 0) expect(from).to.equal((accepted[i - 1] as [number, number])[1] + 1);
      }
      await expectCacheEqualsChain(store, chain);
    });

    it("after a restart resumes from the cursor: nothing missed, nothing processed twice", async () => {
      for (let i = 0; i < 6; i++) {
        await chain.createEthCommitment();
        await chain.mine(1);
      }
      const firstCalls: { method: string; params: unknown }[] = [];
      const first = await indexer({
        maxBlockRange: 2,
        maxRangesPerRun: 3,
        wrap: recordRequests(firstCalls),
      }).runOnce();
      expect(first.caughtUp).to.equal(false);
      expect(first.toBlock).to.equal(chain.deploymentBlock + 5);
      expect(await cursorBlock()).to.equal(first.toBlock);

      // More happens while the agent is down, including changes to commitments already cached.
      await chain.increaseTime(61);
      await chain.claim({
        commitmentId: 1n,
        milestoneIndex: 0,
        validUntil: (await chain.latestTimestamp()) + 600,
        from: chain.accounts.alice,
      });
      await chain.createUsdcCommitment({ owner: chain.accounts.bob });

      const secondCalls: { method: string; params: unknown }[] = [];
      await runUntilCaughtUp(
        indexer({ maxBlockRange: 2, maxRangesPerRun: 3, wrap: recordRequests(secondCalls) }),
      );
      const ranges = [...logRanges(firstCalls), ...logRanges(secondCalls)];
      expect(logRanges(secondCalls)[0]?.[0]).to.equal((first.toBlock as number) + 1);
      const blocks = ranges.flatMap(([from, to]) =>
        Array.from({ length: to - from + 1 }, (_, i) => from + i),
      );
      const head = await chain.blockNumber();
      expect(blocks).to.deep.equal(
        Array.from({ length: head - chain.deploymentBlock + 1 }, (_, i) => chain.deploymentBlock + i),
      );
      await expectCacheEqualsChain(store, chain);
    });

    it("holds back the newest `confirmations` blocks", async () => {
      const target = indexer({ confirmations: 3 });
      await chain.createEthCommitment();
      await chain.mine(3);
      const known = await chain.createEthCommitment();
      const headBefore = await chain.blockNumber();
      const result = await target.runOnce();
      expect(result.toBlock).to.equal(headBefore - 3);
      expect(result.caughtUp).to.equal(true);
      expect((await allCachedRows(store, chain)).map((row) => row.commitmentId)).to.deep.equal([1n]);
      await expectCacheEqualsChain(store, chain, headBefore - 3);

      await chain.mine(2);
      await target.runOnce();
      expect((await allCachedRows(store, chain)).map((row) => row.commitmentId)).to.deep.equal([1n]);
      await chain.mine(1);
      await target.runOnce();
      expect((await allCachedRows(store, chain)).map((row) => row.commitmentId)).to.deep.equal([1n, known]);
      await expectCacheEqualsChain(store, chain, (await chain.blockNumber()) - 3);
    });

    it("detects a reorg and ends with the cache equal to the new chain", async () => {
      const target = indexer();
      const kept = await chain.createEthCommitment({ owner: chain.accounts.alice, milestones: 3 });
      await target.runOnce();
      const fork = await chain.snapshot();

      // The chain the indexer sees first: a claim on `kept` and a new commitment 2 (alice, 3 milestones).
      await chain.increaseTime(61);
      await chain.claim({
        commitmentId: kept,
        milestoneIndex: 0,
        validUntil: (await chain.latestTimestamp()) + 600,
        from: chain.accounts.alice,
      });
      await chain.createEthCommitment({ owner: chain.accounts.alice, milestones: 3 });
      await chain.mine(2);
      expect((await target.runOnce()).reorg).to.equal(false);
      expect((await allCachedRows(store, chain)).map((row) => row.milestoneStates[0])).to.deep.equal([
        "Released",
        "Open",
      ]);

      // The other branch wins: no claim, commitment 2 is bob's with 5 milestones, and it is longer.
      await chain.revert(fork);
      await chain.mine(1);
      const replaced = await chain.createUsdcCommitment({ owner: chain.accounts.bob, milestones: 5 });
      await chain.mine(4);
      const result = await target.runOnce();
      expect(result.reorg).to.equal(true);
      expect(result.caughtUp).to.equal(true);
      await expectCacheEqualsChain(store, chain);
      const rows = await allCachedRows(store, chain);
      expect(rows.map((row) => [row.commitmentId, row.owner, row.milestoneStates])).to.deep.equal([
        [kept, chain.accounts.alice.address, ["Open", "Open", "Open"]],
        [replaced, chain.accounts.bob.address, ["Open", "Open", "Open", "Open", "Open"]],
      ]);
      expect(lines.some((line) => line.msg?.startsWith("reorg detected") === true)).to.equal(true);
    });

    it("repairs a reorg onto a shorter chain after a restart (no remembered blocks), removing orphans", async () => {
      await chain.createEthCommitment();
      await indexer().runOnce();
      const fork = await chain.snapshot();
      await chain.createEthCommitment();
      await chain.createEthCommitment();
      await chain.mine(3);
      await indexer().runOnce();
      expect(await allCachedRows(store, chain)).to.have.length(3);

      await chain.revert(fork);
      const result = await indexer({ reorgDepth: 4 }).runOnce();
      expect(result.reorg).to.equal(true);
      expect(result.removed).to.equal(2);
      await expectCacheEqualsChain(store, chain);
      expect(await cursorBlock()).to.equal(await chain.blockNumber());
    });

    /** A transport that runs `hook` once, right after the first answer to `method`. */
    function afterFirst(method: string, hook: () => Promise<void>) {
      let done = false;
      return (request: EIP1193RequestFn) =>
        (async (args: { method: string; params?: unknown }) => {
          const answer = await (request as (a: typeof args) => Promise<unknown>)(args);
          if (!done && args.method === method) {
            done = true;
            await hook();
          }
          return answer;
        }) as EIP1193RequestFn;
    }

    /** Commitment 1, then a fork point (the snapshot answered), then 2 and 3 on a branch that is indexed. */
    async function indexedBranchOfThree(): Promise<`0x${string}`> {
      await chain.createEthCommitment();
      const fork = await chain.snapshot();
      await chain.createEthCommitment();
      await chain.createEthCommitment();
      await chain.mine(1);
      await indexer().runOnce();
      return fork;
    }

    it("a reorg between a run's cursor check and its range: the run stops, and the next one repairs", async () => {
      const fork = await indexedBranchOfThree();
      expect(await allCachedRows(store, chain)).to.have.length(3);
      await chain.mine(2);

      // The run finds its cursor on the chain; then, before it reads its range, the other branch wins (commitment
      // 2 is bob's, there is no 3, and the cursor's block is another block).
      const target = indexer({
        wrap: afterFirst("eth_getBlockByNumber", async () => {
          await chain.revert(fork);
          await chain.createUsdcCommitment({ owner: chain.accounts.bob, milestones: 5 });
          await chain.mine(6);
        }),
      });
      const interrupted = await target.runOnce();
      expect(interrupted.toBlock).to.equal(null);
      expect(
        lines.some((line) => line.msg?.startsWith("the chain reorganised under the cursor") === true),
      ).to.equal(true);
      await runUntilCaughtUp(target);
      await expectCacheEqualsChain(store, chain);
      expect((await allCachedRows(store, chain)).map((row) => row.owner)).to.deep.equal([
        chain.accounts.alice.address,
        chain.accounts.bob.address,
      ]);
    });

    it("two indexers repairing one reorg: the later stops once the first moved the cursor, and no row is lost", async () => {
      // Blocks first, so the ancestor (10 back) is above the deployment and the repair reads rows there (one by
      // one: EDR answers calls at a block inside one `hardhat_mine` batch with no contract code).
      for (let i = 0; i < 12; i++) await chain.increaseTime(1);
      const fork = await indexedBranchOfThree();
      await chain.revert(fork);
      await chain.createUsdcCommitment({ owner: chain.accounts.bob, milestones: 5 });
      await chain.createEthCommitment();
      await chain.mine(6);

      // `slow` finds the stale cursor and starts its repair; its first read at the ancestor waits until `fast` has
      // repaired the reorg and indexed the new branch.
      let release = () => {};
      const mayGoOn = new Promise<void>((resolve) => {
        release = resolve;
      });
      let reached = () => {};
      const inRepair = new Promise<void>((resolve) => {
        reached = resolve;
      });
      let paused = false;
      const pauseFirstRead = (request: EIP1193RequestFn) =>
        (async (args: { method: string; params?: unknown }) => {
          if (!paused && args.method === "eth_call") {
            paused = true;
            reached();
            await mayGoOn;
          }
          return (request as (a: typeof args) => Promise<unknown>)(args);
        }) as EIP1193RequestFn;
      const slow = indexer({ reorgDepth: 10, wrap: pauseFirstRead });
      const fast = indexer({ reorgDepth: 10 });
      const slowRun = slow.runOnce();
      let indexed: Awaited<ReturnType<typeof allCachedRows>>;
      try {
        await inRepair;
        expect((await fast.runOnce()).reorg).to.equal(true);
        await runUntilCaughtUp(fast);
        await expectCacheEqualsChain(store, chain);
        indexed = await allCachedRows(store, chain);
        expect(indexed).to.have.length(3);
      } finally {
        release();
      }
      const stopped = await slowRun;
      expect(stopped.toBlock).to.equal(null);
      expect(
        lines.some(
          (line) =>
            line.msg === "another indexer moved the cursor during the reorg repair; stopping this run",
        ),
      ).to.equal(true);
      // Nothing read back to the ancestor over what `fast` indexed.
      expect(await allCachedRows(store, chain)).to.deep.equal(indexed);
      await runUntilCaughtUp(slow);
      await expectCacheEqualsChain(store, chain);
    });

    it("a row read through from the chain (GET before the indexer saw it) is read again by a reorg's repair", async () => {
      await chain.createEthCommitment();
      const target = indexer();
      await target.runOnce();
      const fork = await chain.snapshot();
      for (let i = 0; i < 2; i++) await chain.increaseTime(1);
      await target.runOnce();
      // Created on the branch the chain then leaves, and read through before the indexer got to it.
      const dropped = await chain.createEthCommitment({ owner: chain.accounts.bob });
      const context = { store, logger, chain: { chainId: chain.chainId, vault: chain.vault } };
      const reader = createVaultReader({ client: chain.client, chainId: chain.chainId, vault: chain.vault });
      expect((await findCommitment(context, { commitmentId: dropped, reader })).updatedBlock).to.equal(
        READ_THROUGH_BLOCK,
      );
      await chain.revert(fork);
      // Other blocks (other times) where the old branch had the cursor's block and the creation.
      for (let i = 0; i < 6; i++) await chain.increaseTime(7);
      expect((await target.runOnce()).reorg).to.equal(true);
      await runUntilCaughtUp(target);
      // (`allCachedRows` lists rows read above block 0, so the commitment is looked up by its key too.)
      const key = { chainId: chain.chainId, vault: chain.vault, commitmentId: dropped };
      expect(await store.commitments.get(key)).to.equal(null);
      await expectCacheEqualsChain(store, chain);
    });

    it("runs in the background, never overlapping, and keeps going after RPC errors", async () => {
      let inFlight = 0;
      let maxInFlight = 0;
      let failures = 2;
      const flaky = (request: EIP1193RequestFn) =>
        (async (args: { method: string; params?: unknown }) => {
          if (args.method === "eth_blockNumber" && failures > 0) {
            failures--;
            throw new Error("connection reset");
          }
          if (args.method === "eth_getLogs") {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            try {
              return await (request as (a: typeof args) => Promise<unknown>)(args);
            } finally {
              inFlight--;
            }
          }
          return (request as (a: typeof args) => Promise<unknown>)(args);
        }) as EIP1193RequestFn;
      const ids = [await chain.createEthCommitment(), await chain.createEthCommitment()];
      await chain.mine(10);
      const head = await chain.blockNumber();
      // Tiny backoff steps so the retries happen quickly (no assertion on timing).
      const target = indexer({ maxBlockRange: 2, maxRangesPerRun: 2, wrap: flaky });
      target.start(5);
      try {
        for (let i = 0; i < 2_000 && (await cursorBlock()) !== head; i++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        await target.stop();
      }
      expect(await cursorBlock()).to.equal(head);
      expect(maxInFlight).to.equal(1);
      expect(failures).to.equal(0);
      expect(lines.filter((line) => line.msg === "loop run failed")).to.have.length(2);
      expect((await allCachedRows(store, chain)).map((row) => row.commitmentId)).to.deep.equal(ids);
    });
  });
}
