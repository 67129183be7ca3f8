import { expect } from "chai";
import { createPublicClient, type Hex, parseEventLogs } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { createIndexer } from "../../src/chain/indexer.ts";
import {
  type CreateKeeperParameters,
  createKeeper,
  type Keeper,
  SETTLED_MEANWHILE,
} from "../../src/chain/keeper.ts";
import { createStoreLock } from "../../src/chain/storeLock.ts";
import {
  type CreateTransactionSenderParameters,
  createTransactionSender,
  operatorAccount,
  type TransactionSender,
} from "../../src/chain/transactionSender.ts";
import { createVaultReader } from "../../src/chain/vaultReader.ts";
import { ManualClock } from "../../src/clock.ts";
import { createMetrics, type Metrics } from "../../src/metrics.ts";
import type { Store } from "../../src/store/store.ts";
import { collectLogs, START } from "../http/testApp.ts";
import { type OpenedTestStore, openOrSkip, pgliteDriver, storeDrivers } from "../store/storeDrivers.ts";
import {
  createHardhatChain,
  type HardhatChain,
  type TestAccount,
  ZERO_ADDRESS,
} from "../support/hardhatChain.ts";
import {
  auditSince,
  counterValue,
  eventually,
  lastAuditId,
  manualSleep,
  resetChainTables,
} from "./chainTestSupport.ts";

const ONE_ETH = 10n ** 18n;
const PERIOD = 3_600;
const GRACE = 600;

for (const driver of storeDrivers) {
  const suiteTitle = `chain: keeper on ${driver.name}`;

  describe(suiteTitle, () => {
    const clock = new ManualClock(START);
    const { logger } = collectLogs("debug");
    let chain: HardhatChain;
    let baseline: Hex;
    let opened: OpenedTestStore | undefined;
    let store: Store;
    let metrics: Metrics;
    const senders: TransactionSender[] = [];

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
      metrics = createMetrics({ defaultMetrics: false });
    });

    afterEach(async () => {
      for (const sender of senders.splice(0)) await sender.close();
      await chain.setAutomine(true);
      if (opened !== undefined) await resetChainTables(opened.database);
      await chain.revert(baseline);
    });

    function sender(
      account: TestAccount = chain.accounts.operator,
      overrides: Partial<CreateTransactionSenderParameters> = {},
    ): TransactionSender {
      const created = createTransactionSender({
        client: chain.client,
        account: operatorAccount(account.privateKey),
        chainId: chain.chainId,
        transactions: store.chainTransactions,
        clock,
        logger,
        pollIntervalMs: 1,
        ...overrides,
      });
      senders.push(created);
      return created;
    }

    function keeper(overrides: Partial<CreateKeeperParameters> = {}): Keeper {
      return createKeeper({
        chainId: chain.chainId,
        vault: chain.vault,
        reader: createVaultReader({ client: chain.client, chainId: chain.chainId, vault: chain.vault }),
        sender: overrides.sender ?? sender(),
        store,
        lock: createStoreLock({ locks: store.locks }),
        logger,
        metrics,
        ...overrides,
      });
    }

    async function index(target: Store = store) {
      const client = createPublicClient({ chain: chain.chain, transport: chain.transport() });
      const indexer = createIndexer({
        client,
        reader: createVaultReader({ client, chainId: chain.chainId, vault: chain.vault }),
        store: target,
        logger,
        chainId: chain.chainId,
        vault: chain.vault,
        deploymentBlock: chain.deploymentBlock,
        confirmations: 0,
        maxRangesPerRun: 1_000,
      });
      expect((await indexer.runOnce()).caughtUp).to.equal(true);
    }

    async function states(id: bigint): Promise<string[]> {
      const c = await chain.client.readContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "getCommitment",
        args: [id],
      });
      const result: string[] = [];
      for (let i = 0; i < c.milestones; i++) {
        const state = await chain.client.readContract({
          address: chain.vault,
          abi: commitmentVaultAbi,
          functionName: "milestoneState",
          args: [id, BigInt(i)],
        });
        result.push(["Open", "Released", "Slashed", "Refunded", "Appealed"][state] as string);
      }
      return result;
    }

    /** MilestoneSlashed events over the whole chain, as "id:index". */
    async function slashEvents(): Promise<string[]> {
      const logs = await chain.client.getLogs({ address: chain.vault, fromBlock: 0n, toBlock: "latest" });
      return parseEventLogs({ abi: commitmentVaultAbi, logs, eventName: "MilestoneSlashed" }).map(
        (log) => `${log.args.id}:${log.args.index}`,
      );
    }

    /** Slash rows of these commitments that have a transaction. */
    async function sentRows(ids: bigint[], target: Store = store): Promise<number> {
      const rows = await target.chainTransactions.listForCommitments({
        chainId: chain.chainId,
        vault: chain.vault,
        kind: "slash",
        commitmentIds: ids,
      });
      return rows.filter((row) => row.txHash !== null).length;
    }

    /** Moves chain time to just after milestone `index`'s deadline of a commitment starting at `start`. */
    async function passDeadline(start: number, index: number) {
      const target = start + (index + 1) * PERIOD + GRACE + 1;
      const now = await chain.latestTimestamp();
      if (target > now) await chain.increaseTime(target - now);
    }

    async function startOf(id: bigint): Promise<number> {
      const c = await chain.client.readContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "getCommitment",
        args: [id],
      });
      return Number(c.start);
    }

    it("slashes every due milestone (beneficiary credited the exact shares) and never one not yet due", async () => {
      const { alice, bob, beneficiary } = chain.accounts;
      const eth = await chain.createEthCommitment({
        owner: alice,
        amount: 3n * ONE_ETH,
        milestones: 3,
        grace: GRACE,
      });
      const usdc = await chain.createUsdcCommitment({
        owner: bob,
        amount: 301_000_000n,
        milestones: 2,
        grace: GRACE,
      });
      const later = await chain.createEthCommitment({
        owner: bob,
        start: (await chain.latestTimestamp()) + 86_400,
      });
      await chain.increaseTime(61);
      await chain.claim({
        commitmentId: eth,
        milestoneIndex: 0,
        validUntil: (await chain.latestTimestamp()) + 600,
        from: alice,
      });
      // ETH milestone 1 and both USDC milestones are due; ETH milestone 2 is not.
      await passDeadline(Math.max(await startOf(eth), await startOf(usdc)), 1);
      await index();
      const ethBefore = await chain.credits(beneficiary.address, ZERO_ADDRESS);
      const usdcBefore = await chain.credits(beneficiary.address, chain.usdc);
      const auditMark = await lastAuditId(store);

      const target = keeper();
      const result = await target.runOnce();

      expect(result).to.include({ skipped: null, due: 3, slashed: 3, unconfirmed: 0 });
      expect(result.dropped).to.deep.equal([]);
      expect(result.transactions).to.have.length(1);
      expect(await chain.credits(beneficiary.address, ZERO_ADDRESS)).to.equal(ethBefore + ONE_ETH);
      // 301 USDC over 2 milestones: 150.5 and 150.5.
      expect(await chain.credits(beneficiary.address, chain.usdc)).to.equal(usdcBefore + 301_000_000n);
      expect(await states(eth)).to.deep.equal(["Released", "Slashed", "Open"]);
      expect(await states(usdc)).to.deep.equal(["Slashed", "Slashed"]);
      expect(await states(later)).to.deep.equal(["Open", "Open", "Open"]);
      expect(await counterValue(metrics.slashesSent, { outcome: "submitted" })).to.equal(3);
      const audit = await auditSince(store, auditMark);
      expect(audit.filter((e) => e.action === "keeper.slash_submitted")).to.have.length(3);
      expect(
        audit
          .filter((e) => e.action === "keeper.slash_confirmed")
          .map((e) => [e.subject, e.details.milestoneIndex]),
      ).to.deep.equal([
        [`commitment:${eth}`, 1],
        [`commitment:${usdc}`, 0],
        [`commitment:${usdc}`, 1],
      ]);
      const rows = await store.chainTransactions.listForCommitments({
        chainId: chain.chainId,
        vault: chain.vault,
        kind: "slash",
        commitmentIds: [eth, usdc, later],
      });
      expect(rows.map((row) => [row.status, row.txHash])).to.deep.equal(
        Array.from({ length: 3 }, () => ["confirmed", result.transactions[0]]),
      );

      // Nothing more is due (the stale cache still says Open: the confirmed rows keep them out).
      expect(await target.runOnce()).to.include({ due: 0, slashed: 0 });
      await passDeadline(await startOf(eth), 2);
      const last = await target.runOnce();
      expect(last).to.include({ due: 1, slashed: 1 });
      expect(await states(eth)).to.deep.equal(["Released", "Slashed", "Slashed"]);
      expect(await states(later)).to.deep.equal(["Open", "Open", "Open"]);
      expect(await slashEvents()).to.have.length(4);
    });

    it("with maxPerTx 2 settles 5 due milestones in 3 transactions", async () => {
      const id = await chain.createEthCommitment({ amount: 5n * ONE_ETH, milestones: 5, grace: GRACE });
      await passDeadline(await startOf(id), 4);
      await index();
      const result = await keeper({ maxPerTx: 2 }).runOnce();
      expect(result).to.include({ due: 5, slashed: 5 });
      expect(result.transactions).to.have.length(3);
      const perTransaction = [];
      for (const hash of result.transactions) {
        const receipt = await chain.client.getTransactionReceipt({ hash });
        expect(receipt.status).to.equal("success");
        perTransaction.push(
          parseEventLogs({ abi: commitmentVaultAbi, logs: receipt.logs, eventName: "MilestoneSlashed" })
            .length,
        );
      }
      expect(perTransaction).to.deep.equal([2, 2, 1]);
      expect(await chain.credits(chain.accounts.beneficiary.address, ZERO_ADDRESS)).to.equal(5n * ONE_ETH);
    });

    it("milestones withheld run after run never keep a later commitment's slash from being sent", async () => {
      // Alice's five weeks were met (never claimed): withheld every run. Before the scan cursor, every run
      // started with them and spent its budget (maxPerRun 2: 4 candidates) on them, so Bob's missed week, a
      // later commitment, was never slashed however often the keeper ran.
      const { alice, bob } = chain.accounts;
      const met = await chain.createEthCommitment({
        owner: alice,
        amount: 5n * ONE_ETH,
        milestones: 5,
        grace: GRACE,
      });
      const missed = await chain.createEthCommitment({
        owner: bob,
        amount: ONE_ETH,
        milestones: 1,
        grace: GRACE,
      });
      await passDeadline(await startOf(met), 4);
      await index();
      const withheld: string[] = [];
      const k = keeper({
        maxPerRun: 2,
        withhold: async ({ commitmentId, milestoneIndex }) => {
          if (commitmentId !== met) return false;
          withheld.push(`${commitmentId}:${milestoneIndex}`);
          return true;
        },
      });
      const first = await k.runOnce();
      expect(first).to.include({ due: 0, slashed: 0 });
      expect(withheld).to.deep.equal([`${met}:0`, `${met}:1`, `${met}:2`, `${met}:3`]);
      const second = await k.runOnce();
      expect(second).to.include({ due: 1, slashed: 1 });
      expect(await slashEvents()).to.deep.equal([`${missed}:0`]);
      expect(await states(met)).to.deep.equal(["Open", "Open", "Open", "Open", "Open"]);
      // Round again from the first commitment: Alice's weeks are looked at (and withheld) again, nothing sent.
      withheld.length = 0;
      expect(await k.runOnce()).to.include({ due: 0, slashed: 0 });
      expect(withheld).to.have.length.greaterThan(0);
    });

    it("drops a milestone settled between scan and send; the rest still settle", async () => {
      const id = await chain.createEthCommitment({ amount: 3n * ONE_ETH, milestones: 3, grace: GRACE });
      await passDeadline(await startOf(id), 2);
      await index();
      const target = keeper();
      const due = await target.scan();
      expect(due.map((m) => m.milestoneIndex)).to.deep.equal([0, 1, 2]);

      await chain.slash(id, 1, chain.accounts.stranger);
      const result = await target.settle(due);

      expect(result).to.include({ slashed: 2 });
      expect(result.dropped).to.deep.equal([
        { commitmentId: id, milestoneIndex: 1, reason: "MilestoneNotOpen" },
      ]);
      expect(result.transactions).to.have.length(1);
      expect(await states(id)).to.deep.equal(["Slashed", "Slashed", "Slashed"]);
      expect(await chain.credits(chain.accounts.beneficiary.address, ZERO_ADDRESS)).to.equal(3n * ONE_ETH);
      const receipt = await chain.client.getTransactionReceipt({ hash: result.transactions[0] as Hex });
      expect(receipt.status).to.equal("success");
      // The dropped milestone has no row: nothing was sent for it.
      expect(
        await store.chainTransactions.get({
          chainId: chain.chainId,
          vault: chain.vault,
          kind: "slash",
          commitmentId: id,
          milestoneIndex: 1,
        }),
      ).to.equal(null);
    });

    it("confirms candidates against the chain: a milestone claimed after indexing is never sent", async () => {
      const { alice } = chain.accounts;
      const id = await chain.createEthCommitment({ owner: alice, milestones: 2, grace: GRACE });
      await index();
      await chain.increaseTime(61);
      await chain.claim({
        commitmentId: id,
        milestoneIndex: 0,
        validUntil: (await chain.latestTimestamp()) + 600,
        from: alice,
      });
      await passDeadline(await startOf(id), 1);
      const result = await keeper().runOnce();
      expect(result).to.include({ due: 1, slashed: 1 });
      expect(result.dropped).to.deep.equal([]);
      expect(await states(id)).to.deep.equal(["Released", "Slashed"]);
    });

    it("two keepers racing on one store slash each milestone exactly once", async () => {
      const ids: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(await chain.createEthCommitment({ amount: 3n * ONE_ETH, milestones: 3, grace: GRACE }));
      }
      await passDeadline(await startOf(ids[2] as bigint), 2);
      await index();
      // One batch each, so both send before anything is mined.
      const first = keeper({ maxPerTx: 10 });
      const second = keeper({ maxPerTx: 10, sender: sender(chain.accounts.operator2) });

      // Nothing is mined until both have had their chance: both see the same chain state.
      await chain.setAutomine(false);
      const racing = Promise.all([first.runOnce(), second.runOnce()]);
      await eventually(async () => (await sentRows(ids)) === 9, "all slashes sent");
      await chain.mine(1);
      const [a, b] = await racing;
      // Through the lease: one runs, the other is told it is locked.
      expect([a.skipped, b.skipped].sort()).to.deep.equal(["locked", null]);
      expect(a.slashed + b.slashed).to.equal(9);
      expect(a.unconfirmed + b.unconfirmed).to.equal(0);
      expect((await slashEvents()).sort()).to.deep.equal(
        ids.flatMap((id) => [0, 1, 2].map((i) => `${id}:${i}`)).sort(),
      );
    });

    it("two keepers settling the same scan at once (no lease) still slash each milestone once", async () => {
      const ids: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(await chain.createEthCommitment({ amount: 3n * ONE_ETH, milestones: 3, grace: GRACE }));
      }
      await passDeadline(await startOf(ids[2] as bigint), 2);
      await index();
      // One batch each, so both send before anything is mined.
      const first = keeper({ maxPerTx: 10 });
      const second = keeper({ maxPerTx: 10, sender: sender(chain.accounts.operator2) });
      const due = await first.scan();
      expect(due).to.have.length(9);

      // Nothing is mined until both have sent: both simulate against the same state, only the rows arbitrate.
      await chain.setAutomine(false);
      const racing = Promise.all([first.settle(due), second.settle(due)]);
      await eventually(async () => (await sentRows(ids)) === 9, "all slashes sent");
      await chain.mine(1);
      const [a, b] = await racing;
      expect(a.slashed + b.slashed).to.equal(9);
      expect(a.unconfirmed + b.unconfirmed).to.equal(0);
      for (const hash of [...a.transactions, ...b.transactions]) {
        expect((await chain.client.getTransactionReceipt({ hash })).status).to.equal("success");
      }
      const events = await slashEvents();
      expect(events).to.have.length(9);
      expect(new Set(events).size).to.equal(9);
      expect(await chain.credits(chain.accounts.beneficiary.address, ZERO_ADDRESS)).to.equal(9n * ONE_ETH);
    });

    it("two keepers of separate deployments racing over the same milestones: both batches mine, each milestone is slashed once, neither keeper is stuck", async () => {
      // Another operator's agent: its own store (rows), lease and account; only the chain is shared.
      const other = await pgliteDriver.open(clock);
      try {
        const ids: bigint[] = [];
        for (let i = 0; i < 3; i++) {
          ids.push(await chain.createEthCommitment({ amount: 3n * ONE_ETH, milestones: 3, grace: GRACE }));
        }
        await passDeadline(await startOf(ids[2] as bigint), 2);
        await index();
        await index(other.store);
        const first = keeper({ maxPerTx: 10, multicall3: chain.multicall3 });
        const second = keeper({
          maxPerTx: 10,
          multicall3: chain.multicall3,
          store: other.store,
          lock: createStoreLock({ locks: other.store.locks }),
          sender: sender(chain.accounts.operator2, { transactions: other.store.chainTransactions }),
        });
        const due = await first.scan();
        expect(due).to.have.length(9);
        // Overlapping batches: commitments 1-2 and 2-3; commitment 2's three milestones are in both.
        const firstItems = due.filter((m) => m.commitmentId !== ids[2]);
        const secondItems = due.filter((m) => m.commitmentId !== ids[0]);

        // Both simulate against the same state and send before anything is mined: one block holds both.
        await chain.setAutomine(false);
        const racing = Promise.all([first.settle(firstItems), second.settle(secondItems)]);
        await eventually(
          async () => (await sentRows(ids)) === 6 && (await sentRows(ids, other.store)) === 6,
          "both batches sent",
        );
        await chain.mine(1);
        const [a, b] = await racing;
        await chain.setAutomine(true);

        // Neither batch was sunk: both mined successfully; the one mined second missed only the shared items.
        expect(a.transactions).to.have.length(1);
        expect(b.transactions).to.have.length(1);
        for (const hash of [...a.transactions, ...b.transactions]) {
          expect((await chain.client.getTransactionReceipt({ hash })).status).to.equal("success");
        }
        expect(a.slashed + b.slashed).to.equal(9);
        expect([a.slashed, b.slashed].sort()).to.deep.equal([3, 6]);
        expect(a.unconfirmed + b.unconfirmed).to.equal(0);
        const loser = a.slashed === 3 ? a : b;
        expect(loser.dropped.map((d) => [d.commitmentId, d.milestoneIndex, d.reason])).to.deep.equal(
          [0, 1, 2].map((i) => [ids[1], i, SETTLED_MEANWHILE]),
        );
        const events = await slashEvents();
        expect(events.sort()).to.deep.equal(ids.flatMap((id) => [0, 1, 2].map((i) => `${id}:${i}`)).sort());
        expect(await chain.credits(chain.accounts.beneficiary.address, ZERO_ADDRESS)).to.equal(9n * ONE_ETH);
        for (const id of ids) expect(await states(id)).to.deep.equal(["Slashed", "Slashed", "Slashed"]);
        // The loser's rows of the shared items say what happened (not "confirmed": it did not slash them).
        const loserStore = loser === a ? store : other.store;
        const loserRows = await loserStore.chainTransactions.listForCommitments({
          chainId: chain.chainId,
          vault: chain.vault,
          kind: "slash",
          commitmentIds: [ids[1] as bigint],
        });
        expect(loserRows.map((row) => [row.status, row.lastError])).to.deep.equal(
          Array.from({ length: 3 }, () => ["failed", SETTLED_MEANWHILE]),
        );
        expect(await counterValue(metrics.slashesSent, { outcome: SETTLED_MEANWHILE })).to.equal(3);

        // Not stuck: the next runs of both find nothing due (the chain says Slashed) and send nothing.
        for (const k of [first, second]) {
          const next = await k.runOnce();
          expect(next).to.include({ skipped: null, due: 0, slashed: 0 });
          expect(next.transactions).to.deep.equal([]);
        }
      } finally {
        await other.cleanup();
      }
    });

    it("a batch through Multicall3 drops a milestone settled before it is sent, by its one simulation", async () => {
      const id = await chain.createEthCommitment({ amount: 3n * ONE_ETH, milestones: 3, grace: GRACE });
      await passDeadline(await startOf(id), 2);
      await index();
      const target = keeper({ multicall3: chain.multicall3 });
      const due = await target.scan();
      await chain.slash(id, 1, chain.accounts.stranger);
      const result = await target.settle(due);
      expect(result).to.include({ slashed: 2, unconfirmed: 0 });
      expect(result.dropped).to.deep.equal([
        { commitmentId: id, milestoneIndex: 1, reason: "MilestoneNotOpen" },
      ]);
      const receipt = await chain.client.getTransactionReceipt({ hash: result.transactions[0] as Hex });
      expect(receipt.to?.toLowerCase()).to.equal(chain.multicall3.toLowerCase());
      expect(await states(id)).to.deep.equal(["Slashed", "Slashed", "Slashed"]);
    });

    it("never sends a slash for an Appealed milestone (it would revert), even when the cache still says Open", async () => {
      const { alice } = chain.accounts;
      const id = await chain.createEthCommitment({
        owner: alice,
        amount: 3n * ONE_ETH,
        milestones: 3,
        grace: GRACE,
      });
      const start = await startOf(id);
      // Indexed before the appeal: the cache says Open for every milestone.
      await index();
      const ended = start + PERIOD + 1 - (await chain.latestTimestamp());
      await chain.increaseTime(ended);
      await chain.appeal(id, 0, alice);
      await passDeadline(start, 2);
      const slashingAppealed = await chain.client
        .simulateContract({
          account: chain.accounts.stranger,
          address: chain.vault,
          abi: commitmentVaultAbi,
          functionName: "slash",
          args: [id, 0n],
        })
        .then(
          () => "succeeded",
          () => "reverted",
        );
      expect(slashingAppealed).to.equal("reverted");

      const target = keeper({ multicall3: chain.multicall3 });
      expect((await target.scan()).map((m) => m.milestoneIndex)).to.deep.equal([1, 2]);
      const result = await target.runOnce();
      expect(result).to.include({ due: 2, slashed: 2, unconfirmed: 0 });
      expect(result.dropped).to.deep.equal([]);
      expect(await states(id)).to.deep.equal(["Appealed", "Slashed", "Slashed"]);
      expect(
        await store.chainTransactions.get({
          chainId: chain.chainId,
          vault: chain.vault,
          kind: "slash",
          commitmentId: id,
          milestoneIndex: 0,
        }),
      ).to.equal(null);
      // Handed an Appealed milestone anyway (a scan from before the appeal), a batch drops it before sending.
      const handed = await target.settle([{ commitmentId: id, milestoneIndex: 0, claimDeadline: 0 }]);
      expect(handed).to.include({ slashed: 0 });
      expect(handed.transactions).to.deep.equal([]);
      expect(handed.dropped.map((d) => d.milestoneIndex)).to.deep.equal([0]);
      expect(await states(id)).to.deep.equal(["Appealed", "Slashed", "Slashed"]);
    });

    it("does nothing while the vault is paused", async () => {
      const id = await chain.createEthCommitment({ grace: GRACE });
      await passDeadline(await startOf(id), 2);
      await index();
      await chain.wallet(chain.accounts.admin).writeContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "pause",
      });
      expect(await keeper().runOnce()).to.include({ skipped: "paused", slashed: 0 });
      expect(await slashEvents()).to.deep.equal([]);
    });

    it("resumes a batch left pending (receipt timeout) and records it once mined", async () => {
      const id = await chain.createEthCommitment({ amount: 3n * ONE_ETH, milestones: 3, grace: GRACE });
      await passDeadline(await startOf(id), 1);
      await index();
      await chain.setAutomine(false);
      const impatient = sender(chain.accounts.operator, {
        sleep: manualSleep(clock),
        pollIntervalMs: 1_000,
        bumpAfterMs: 60_000,
        receiptTimeoutMs: 5_000,
      });
      const result = await keeper({ sender: impatient }).runOnce();
      expect(result).to.include({ due: 2, slashed: 0, unconfirmed: 2 });
      const key = { chainId: chain.chainId, vault: chain.vault, kind: "slash" as const, commitmentId: id };
      expect(await store.chainTransactions.get({ ...key, milestoneIndex: 0 })).to.include({
        status: "pending",
        lastError: "receipt_timeout",
      });

      await chain.mine(1);
      const resumed = await keeper().resumePending();
      expect(resumed).to.deep.equal({ checked: 2, confirmed: 2, reverted: 0, failed: 0, pending: 0 });
      expect(await store.chainTransactions.get({ ...key, milestoneIndex: 1 })).to.include({
        status: "confirmed",
        txHash: result.transactions[0],
      });
      expect(await states(id)).to.deep.equal(["Slashed", "Slashed", "Open"]);
    });
  });
}
