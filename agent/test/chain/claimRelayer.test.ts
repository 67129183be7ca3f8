import { expect } from "chai";
import { sql } from "drizzle-orm";
import {
  type Address,
  createPublicClient,
  encodeFunctionData,
  type Hex,
  HttpRequestError,
  keccak256,
  parseEventLogs,
  parseTransaction,
} from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { ContractRevertedError } from "../../src/chain/chainErrors.ts";
import {
  CLAIM_LEASE_TTL_MS,
  type ClaimRelayerService,
  createClaimRelayer,
} from "../../src/chain/claimRelayer.ts";
import { createStoreLock } from "../../src/chain/storeLock.ts";
import {
  type CreateTransactionSenderParameters,
  createTransactionSender,
  operatorAccount,
  type TransactionSender,
} from "../../src/chain/transactionSender.ts";
import { ManualClock } from "../../src/clock.ts";
import { ConflictError, ValidationError } from "../../src/errors.ts";
import { createMetrics, type Metrics } from "../../src/metrics.ts";
import type { Store } from "../../src/store/store.ts";
import { collectLogs, START } from "../http/testApp.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "../store/storeDrivers.ts";
import {
  createHardhatChain,
  DEFAULT_EVIDENCE_HASH,
  type HardhatChain,
  type TestAccount,
} from "../support/hardhatChain.ts";
import {
  auditSince,
  counterValue,
  eventually,
  lastAuditId,
  manualSleep,
  recordRequests,
  rejectionOf,
  resetChainTables,
} from "./chainTestSupport.ts";

const ONE_ETH = 10n ** 18n;

for (const driver of storeDrivers) {
  const suiteTitle = `chain: transaction sender and claim relayer on ${driver.name}`;

  describe(suiteTitle, () => {
    const clock = new ManualClock(START);
    const { logger } = collectLogs("debug");
    let chain: HardhatChain;
    let baseline: Hex;
    let opened: OpenedTestStore | undefined;
    let store: Store;
    let metrics: Metrics;
    const senders: TransactionSender[] = [];
    const relayers: ClaimRelayerService[] = [];

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
      for (const relayer of relayers.splice(0)) await relayer.close();
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

    function relayer(through: TransactionSender = sender(), responseWaitMs = 20_000): ClaimRelayerService {
      const created = createClaimRelayer({
        chainId: chain.chainId,
        vault: chain.vault,
        sender: through,
        store,
        lock: createStoreLock({ locks: store.locks }),
        logger,
        metrics,
        responseWaitMs,
      });
      relayers.push(created);
      return created;
    }

    /** A 3 ETH, 3-milestone commitment whose first window is open now. */
    async function openCommitment(owner = chain.accounts.alice): Promise<bigint> {
      const id = await chain.createEthCommitment({ owner, amount: 3n * ONE_ETH, milestones: 3 });
      await chain.increaseTime(61);
      return id;
    }

    async function claimParameters(commitmentId: bigint, milestoneIndex = 0, signers?: TestAccount[]) {
      const validUntil = (await chain.latestTimestamp()) + 3_600;
      return {
        commitmentId,
        milestoneIndex,
        evidenceHash: DEFAULT_EVIDENCE_HASH,
        validUntil,
        signatures: await chain.attest({
          commitmentId,
          milestoneIndex,
          validUntil,
          ...(signers !== undefined ? { signers } : {}),
        }),
      };
    }

    /** MilestoneReleased events for one milestone, over the whole chain. */
    async function releases(commitmentId: bigint, milestoneIndex: number) {
      const logs = await chain.client.getLogs({
        address: chain.vault,
        fromBlock: 0n,
        toBlock: "latest",
      });
      return parseEventLogs({ abi: commitmentVaultAbi, logs, eventName: "MilestoneReleased" }).filter(
        (log) => log.args.id === commitmentId && log.args.index === BigInt(milestoneIndex),
      );
    }

    const nonceOf = (address: Address) => chain.client.getTransactionCount({ address, blockTag: "pending" });
    const claimKey = (commitmentId: bigint, milestoneIndex: number) => ({
      chainId: chain.chainId,
      vault: chain.vault,
      kind: "claim" as const,
      commitmentId,
      milestoneIndex,
    });

    /** Mines the pending claim of milestone 0 and waits until the relayer has recorded it confirmed. */
    async function mineUntilConfirmed(id: bigint): Promise<void> {
      await chain.mine(1);
      await eventually(
        async () => (await store.chainTransactions.get(claimKey(id, 0)))?.status === "confirmed",
        "the confirmation",
      );
    }

    it("relays a claim: it lands, and the owner's balance rises by exactly the share", async () => {
      const id = await openCommitment();
      const { alice, operator } = chain.accounts;
      const aliceBefore = await chain.ethBalance(alice.address);
      const operatorBefore = await chain.ethBalance(operator.address);
      const auditMark = await lastAuditId(store);

      const result = await relayer().relayClaim(await claimParameters(id));

      expect(result.status).to.equal("confirmed");
      expect(result.submitted).to.equal(true);
      expect(await chain.ethBalance(alice.address)).to.equal(aliceBefore + ONE_ETH);
      expect(
        (await chain.ethBalance(operator.address)) < operatorBefore,
        "the operator paid the gas",
      ).to.equal(true);
      const receipt = await chain.client.getTransactionReceipt({ hash: result.txHash as Hex });
      expect(receipt.status).to.equal("success");
      expect(receipt.from).to.equal(operator.address.toLowerCase());
      expect(await releases(id, 0)).to.have.length(1);

      const row = await store.chainTransactions.get(claimKey(id, 0));
      expect(row).to.include({
        status: "confirmed",
        txHash: result.txHash,
        attempts: 1,
        nonce: 0,
        lastError: null,
      });
      expect(row?.fromAddress).to.equal(operator.address);
      expect(await counterValue(metrics.claimsRelayed, { outcome: "submitted" })).to.equal(1);
      const audit = await auditSince(store, auditMark);
      expect(audit.map((entry) => entry.action)).to.deep.equal([
        "relayer.claim_submitted",
        "relayer.claim_confirmed",
      ]);
      expect(audit[0]?.subject).to.equal(`commitment:${id}`);
      expect(audit[1]?.details).to.include({
        txHash: result.txHash,
        milestoneIndex: 0,
        commitmentId: id.toString(),
      });
    });

    it("relays a late quorum's claim of an Appealed milestone past its deadline: share and bond to the owner", async () => {
      const { alice } = chain.accounts;
      const id = await chain.createEthCommitment({
        owner: alice,
        amount: 3n * ONE_ETH,
        milestones: 3,
        grace: 600,
      });
      // Window 0 ended: the owner appeals; then its claim deadline passes with nobody ruling.
      await chain.increaseTime(60 + 3_600 + 1);
      const bond = await chain.appeal(id, 0, alice);
      await chain.increaseTime(3_600);
      const aliceBefore = await chain.ethBalance(alice.address);

      const result = await relayer().relayClaim(await claimParameters(id, 0));

      expect(result).to.include({ status: "confirmed", submitted: true });
      expect(await chain.ethBalance(alice.address)).to.equal(aliceBefore + ONE_ETH + bond);
      expect(await releases(id, 0)).to.have.length(1);
      const state = await chain.client.readContract({
        address: chain.vault,
        abi: commitmentVaultAbi,
        functionName: "milestoneState",
        args: [id, 0n],
      });
      expect(state).to.equal(1); // Released
    });

    it("sends exactly one transaction however often, from however many relayers, and after a restart", async () => {
      const id = await openCommitment();
      const parameters = await claimParameters(id);
      const first = relayer();
      // Two replicas at once (different lock owners, different operator keys).
      const [a, b] = await Promise.all([
        first.relayClaim(parameters),
        relayer(sender(chain.accounts.operator2)).relayClaim(parameters),
      ]);
      expect([a.submitted, b.submitted].filter(Boolean)).to.have.length(1);
      const sent = a.submitted ? a : b;
      expect(sent.status).to.equal("confirmed");

      // Again, on the same instance, and on a "restarted" one (new sender, relayer, lock owner; same store).
      const again = await first.relayClaim(parameters);
      expect(again).to.deep.equal({ status: "confirmed", txHash: sent.txHash, submitted: false });
      const restarted = await relayer(sender()).relayClaim(parameters);
      expect(restarted).to.deep.equal({ status: "confirmed", txHash: sent.txHash, submitted: false });

      expect(await releases(id, 0)).to.have.length(1);
      const operatorNonces =
        (await nonceOf(chain.accounts.operator.address)) + (await nonceOf(chain.accounts.operator2.address));
      expect(operatorNonces).to.equal(1);
      expect(await counterValue(metrics.claimsRelayed, { outcome: "submitted" })).to.equal(1);
    });

    it("a reverting claim (bad signature) is a typed error with the decoded custom error; nothing is left pending", async () => {
      const id = await openCommitment();
      const { oracles, stranger } = chain.accounts;
      const auditMark = await lastAuditId(store);
      const error = await rejectionOf(
        relayer().relayClaim(await claimParameters(id, 0, [oracles[0] as TestAccount, stranger])),
      );

      expect(error).to.be.instanceOf(ContractRevertedError);
      const revert = error as ContractRevertedError;
      expect(revert.code).to.equal("contract_reverted");
      expect(revert.errorName).to.equal("SignerNotOracle");
      expect(revert.args[1]).to.equal(stranger.address);
      expect(revert.details).to.include({ errorName: "SignerNotOracle", operation: "claimMilestone" });
      expect(await store.chainTransactions.get(claimKey(id, 0))).to.equal(null);
      expect(
        await store.chainTransactions.listPending({ chainId: chain.chainId, vault: chain.vault }),
      ).to.deep.equal([]);
      expect(await nonceOf(chain.accounts.operator.address)).to.equal(0);
      expect(await counterValue(metrics.claimsRelayed, { outcome: "failed" })).to.equal(1);
      const audit = await auditSince(store, auditMark);
      expect(audit.map((entry) => [entry.action, entry.details.errorName])).to.deep.equal([
        ["relayer.claim_rejected", "SignerNotOracle"],
      ]);

      // Nothing stuck: the same milestone relays with good signatures.
      const result = await relayer().relayClaim(await claimParameters(id));
      expect(result).to.include({ status: "confirmed", submitted: true });
    });

    it("rejects malformed parameters before touching the store or the chain", async () => {
      const id = await openCommitment();
      const parameters = await claimParameters(id);
      const error = await rejectionOf(relayer().relayClaim({ ...parameters, evidenceHash: "0x1234" as Hex }));
      expect(error).to.be.instanceOf(ValidationError);
      expect((error as ValidationError).code).to.equal("invalid_claim");
      expect((error as ValidationError).details.field).to.equal("evidenceHash");
      const tooMany = await rejectionOf(relayer().relayClaim({ ...parameters, milestoneIndex: 104 }));
      expect((tooMany as ValidationError).details.field).to.equal("milestoneIndex");
      expect(await store.chainTransactions.get(claimKey(id, 0))).to.equal(null);
      expect(await nonceOf(chain.accounts.operator.address)).to.equal(0);
    });

    it("replaces a transaction not mined in time with the same nonce and higher fees, and it is mined once", async () => {
      const id = await openCommitment();
      const parameters = await claimParameters(id);
      await chain.setAutomine(false);
      const calls: { method: string; params: unknown }[] = [];
      const bumping = sender(chain.accounts.operator, {
        client: createPublicClient({ chain: chain.chain, transport: chain.transport(recordRequests(calls)) }),
        sleep: manualSleep(clock),
        pollIntervalMs: 1_000,
        bumpAfterMs: 5_000,
        maxBumps: 2,
        receiptTimeoutMs: 3_600_000,
      });
      const result = await relayer(bumping, 0).relayClaim(parameters);
      expect(result).to.include({ status: "pending", submitted: true });
      const firstHash = result.txHash as Hex;

      await eventually(
        async () => ((await store.chainTransactions.get(claimKey(id, 0)))?.attempts ?? 0) >= 2,
        "a gas bump",
      );
      const first = await chain.client.getTransaction({ hash: firstHash }).catch(() => null);
      expect(first, "the first transaction was replaced in the mempool").to.equal(null);
      await mineUntilConfirmed(id);

      const row = await store.chainTransactions.get(claimKey(id, 0));
      const tx = row?.details.tx as { hashes: Hex[] };
      expect(row?.txHash).to.not.equal(firstHash);
      expect(row?.txHash).to.equal(tx.hashes.at(-1));
      expect(tx.hashes[0]).to.equal(firstHash);
      expect(row?.attempts).to.equal(tx.hashes.length);
      // Every distinct transaction broadcast: same nonce, each fee at least 12.5 % above the one before.
      const sent = [
        ...new Map(
          calls
            .filter((call) => call.method === "eth_sendRawTransaction")
            .map((call) => (call.params as [Hex])[0])
            .map((raw) => [keccak256(raw), parseTransaction(raw)] as const),
        ).entries(),
      ];
      expect(sent.map(([hash]) => hash)).to.deep.equal(tx.hashes);
      for (const [i, [, parsed]] of sent.entries()) {
        expect(parsed.nonce).to.equal(0);
        if (i === 0) continue;
        const previous = (sent[i - 1] as (typeof sent)[number])[1];
        const fee = parsed.maxFeePerGas as bigint;
        const tip = parsed.maxPriorityFeePerGas as bigint;
        expect(fee * 1000n >= (previous.maxFeePerGas as bigint) * 1125n, `fee ${fee} bumped 12.5 %`).to.equal(
          true,
        );
        expect(
          tip * 1000n >= (previous.maxPriorityFeePerGas as bigint) * 1125n,
          `tip ${tip} bumped`,
        ).to.equal(true);
      }
      const mined = await chain.client.getTransaction({ hash: row?.txHash as Hex });
      expect(mined.nonce).to.equal(0);
      for (const hash of tx.hashes.slice(0, -1)) {
        expect(await chain.client.getTransactionReceipt({ hash }).catch(() => null)).to.equal(null);
      }
      expect(await releases(id, 0)).to.have.length(1);
      expect(await nonceOf(chain.accounts.operator.address)).to.equal(1);
    });

    it("resumes after a restart: a transaction left pending is followed to its receipt, once", async () => {
      const id = await openCommitment();
      const parameters = await claimParameters(id);
      await chain.setAutomine(false);
      const crashed = sender();
      const pending = await relayer(crashed, 0).relayClaim(parameters);
      expect(pending.status).to.equal("pending");
      await crashed.close(); // the process dies: nobody follows the transaction any more
      await resetLocks();

      const restarted = relayer(sender());
      const resumed = restarted.resumePending();
      await eventually(
        async () =>
          (await chain.client.getTransaction({ hash: pending.txHash as Hex }).catch(() => null)) !== null,
        "the transaction in the mempool",
      );
      await chain.mine(1);
      expect(await resumed).to.deep.include({ checked: 1, confirmed: 1, pending: 0 });
      expect(await store.chainTransactions.get(claimKey(id, 0))).to.include({
        status: "confirmed",
        txHash: pending.txHash,
      });
      expect(await releases(id, 0)).to.have.length(1);
      const again = await restarted.relayClaim(parameters);
      expect(again).to.deep.equal({ status: "confirmed", txHash: pending.txHash, submitted: false });
    });

    it("asking again after a crash picks up the transaction left pending (and still sends nothing new)", async () => {
      const id = await openCommitment();
      const parameters = await claimParameters(id);
      await chain.setAutomine(false);
      const crashed = sender();
      const pending = await relayer(crashed, 0).relayClaim(parameters);
      await crashed.close();
      await resetLocks();

      const restarted = relayer(sender(), 0);
      const again = await restarted.relayClaim(parameters);
      expect(again).to.deep.equal({ status: "pending", txHash: pending.txHash, submitted: false });
      await mineUntilConfirmed(id);
      expect(await releases(id, 0)).to.have.length(1);
      expect(await nonceOf(chain.accounts.operator.address)).to.equal(1);
    });

    it("a replica killed holding a claim's lease, its row inserted but never signed, blocks the milestone one short TTL", async () => {
      // The load test's kill -9 landed between inserting the row and signing it: with a 15-minute lease nobody
      // could send the met milestone before its deadline. The lease is short now and renewed while held.
      const id = await openCommitment();
      const name = `claim:${chain.chainId}:${chain.vault.toLowerCase()}:${id}:0`;
      const killed = createStoreLock({ locks: store.locks });
      expect(await killed.tryAcquire(name, CLAIM_LEASE_TTL_MS)).to.equal(true);
      await store.chainTransactions.insertIfAbsent({
        ...claimKey(id, 0),
        fromAddress: chain.accounts.operator.address,
      });
      const survivor = relayer();
      const parameters = await claimParameters(id);
      expect(await survivor.relayClaim(parameters)).to.deep.equal({
        status: "pending",
        txHash: null,
        submitted: false,
      });
      // Half a minute later (not a quarter of an hour), the survivor sends it.
      expect(CLAIM_LEASE_TTL_MS).to.be.at.most(30_000);
      clock.advance(31_000);
      expect(await survivor.relayClaim(parameters)).to.include({ status: "confirmed", submitted: true });
      expect(await releases(id, 0)).to.have.length(1);
    });

    it("a claim's lease is renewed while its transaction is followed, past its TTL", async () => {
      const id = await openCommitment();
      const parameters = await claimParameters(id);
      await chain.setAutomine(false);
      // A 300 ms lease (30 s by default) so that a renewal (every third of it) shows within the test.
      const quick = createClaimRelayer({
        chainId: chain.chainId,
        vault: chain.vault,
        sender: sender(),
        store,
        lock: createStoreLock({ locks: store.locks }),
        logger,
        metrics,
        responseWaitMs: 0,
        lockTtlMs: 300,
      });
      relayers.push(quick);
      expect(await quick.relayClaim(parameters)).to.include({ status: "pending", submitted: true });
      // The store's time jumps past the TTL; within 250 ms of real time the holder has renewed it.
      clock.advance(1_000);
      await new Promise((resolve) => setTimeout(resolve, 250));
      const name = `claim:${chain.chainId}:${chain.vault.toLowerCase()}:${id}:0`;
      expect(await createStoreLock({ locks: store.locks }).tryAcquire(name, 1_000)).to.equal(false);
      await mineUntilConfirmed(id);
      await quick.close();
      // Released once the outcome is recorded.
      expect(await createStoreLock({ locks: store.locks }).tryAcquire(name, 1_000)).to.equal(true);
    });

    it("a row never signed (stopped before sending) is marked failed on resume and can be relayed again", async () => {
      const id = await openCommitment();
      await store.chainTransactions.insertIfAbsent({
        ...claimKey(id, 0),
        fromAddress: chain.accounts.operator.address,
      });
      const restarted = relayer();
      expect(await restarted.resumePending()).to.deep.include({ checked: 1, failed: 1 });
      expect(await store.chainTransactions.get(claimKey(id, 0))).to.include({
        status: "failed",
        lastError: "not sent",
      });
      const result = await restarted.relayClaim(await claimParameters(id));
      expect(result).to.include({ status: "confirmed", submitted: true });
      expect(await releases(id, 0)).to.have.length(1);
    });

    it("hands out distinct nonces to concurrent sends, and resyncs when another sender used its next nonce", async () => {
      const ids = [await openCommitment(), await openCommitment(), await openCommitment()];
      const shared = sender();
      const through = relayer(shared);
      const results = await Promise.all(ids.map(async (id) => through.relayClaim(await claimParameters(id))));
      expect(results.map((r) => r.status)).to.deep.equal(["confirmed", "confirmed", "confirmed"]);
      const nonces = await Promise.all(
        ids.map(async (id) => (await store.chainTransactions.get(claimKey(id, 0)))?.nonce),
      );
      expect([...nonces].sort()).to.deep.equal([0, 1, 2]);

      // Another process on the same key takes nonce 3 behind this sender's back.
      const { operator, bob } = chain.accounts;
      await chain.wallet(operator).sendTransaction({ to: bob.address, value: 1n, nonce: 3 });
      const fourth = await openCommitment();
      const result = await through.relayClaim(await claimParameters(fourth));
      expect(result.status).to.equal("confirmed");
      expect((await store.chainTransactions.get(claimKey(fourth, 0)))?.nonce).to.equal(4);
    });

    it("two replicas sending from the one operator key hold its lease in turn: distinct nonces, no conflict", async () => {
      // Each replica has its own sender (its own in-process nonces) and its own lock owner on the shared store.
      // Without the lease both read the same pending count and signed the same nonce; one broadcast was refused
      // ("nonce too low") and signed again (the load test: 66-77 "nonce conflict" warnings a run).
      const seen = collectLogs("debug");
      const lease = () => ({ lock: createStoreLock({ locks: store.locks }) });
      const replica = () => relayer(sender(chain.accounts.operator, { logger: seen.logger, ...lease() }));
      const [one, two] = [replica(), replica()];
      const ids: bigint[] = [];
      for (let i = 0; i < 6; i++) ids.push(await openCommitment());
      const results = await Promise.all(
        ids.map(async (id, i) => (i % 2 === 0 ? one : two).relayClaim(await claimParameters(id))),
      );
      expect(results.map((r) => r.status)).to.deep.equal(Array(6).fill("confirmed"));
      const nonces = await Promise.all(
        ids.map(async (id) => (await store.chainTransactions.get(claimKey(id, 0)))?.nonce),
      );
      expect([...nonces].sort((a, b) => Number(a) - Number(b))).to.deep.equal([0, 1, 2, 3, 4, 5]);
      expect(seen.lines.filter((line) => line.msg === "nonce conflict; resyncing the nonce")).to.deep.equal(
        [],
      );
      for (const id of ids) expect(await releases(id, 0)).to.have.length(1);
    });

    it("under the send lease, a claim sent while another is maybe sent in transit takes the next nonce; both are mined", async () => {
      // Found by review: the lease made every send read the node's pending count afresh, which does not count a
      // transaction lost in transit (fix 6 follows it as "maybe sent" at its nonce), so the next claim signed the
      // same nonce and one of the two ended "nonce used by another transaction".
      const [a, b] = [await openCommitment(), await openCommitment()];
      const [forA, forB] = [await claimParameters(a), await claimParameters(b)];
      await chain.setAutomine(false);
      let lost = false;
      let releaseMonitor = () => {};
      const monitorHeld = new Promise<void>((resolve) => {
        releaseMonitor = resolve;
      });
      const client: CreateTransactionSenderParameters["client"] = {
        ...chain.client,
        sendRawTransaction: async (parameters) => {
          if (lost) return chain.client.sendRawTransaction(parameters);
          lost = true;
          throw new HttpRequestError({ url: "http://rpc.invalid", details: "socket hang up" });
        },
        // The monitor of the one in transit comes back only after the second claim was sent.
        getTransactionReceipt: async (parameters) => {
          await monitorHeld;
          return chain.client.getTransactionReceipt(parameters);
        },
      };
      const through = relayer(
        sender(chain.accounts.operator, { client, lock: createStoreLock({ locks: store.locks }) }),
        0,
      );
      expect(await through.relayClaim(forA)).to.include({ status: "pending", submitted: true });
      expect(await through.relayClaim(forB)).to.include({ status: "pending", submitted: true });
      const nonces = [
        (await store.chainTransactions.get(claimKey(a, 0)))?.nonce,
        (await store.chainTransactions.get(claimKey(b, 0)))?.nonce,
      ];
      expect(nonces).to.deep.equal([0, 1]);
      releaseMonitor();
      await eventually(async () => {
        await chain.mine(1);
        const rows = [
          await store.chainTransactions.get(claimKey(a, 0)),
          await store.chainTransactions.get(claimKey(b, 0)),
        ];
        return rows.every((row) => row?.status === "confirmed");
      }, "both claims confirmed");
      expect(await releases(a, 0)).to.have.length(1);
      expect(await releases(b, 0)).to.have.length(1);
    });

    it("a claim row another replica signed meanwhile is never signed again (the takeover after a lost lease)", async () => {
      // The 1,000-user run: a replica whose claim lease lapsed under load (renewals timed out) sent a row the
      // replica that took the lease over had sent already: two claim transactions, one reverted.
      const id = await openCommitment();
      const parameters = await claimParameters(id);
      const { record } = await store.chainTransactions.insertIfAbsent({
        ...claimKey(id, 0),
        fromAddress: chain.accounts.operator.address,
      });
      // The replica that took over sends the unsigned row (not mined yet: both simulations pass).
      await chain.setAutomine(false);
      const takeover = relayer(sender(), 0);
      expect(await takeover.relayClaim(parameters)).to.include({ status: "pending", submitted: true });
      // The first replica, still believing the row is its own, now gets to send it; its simulation ran before the
      // other's transaction was known (here: it answers as the chain did then).
      const late = sender(chain.accounts.operator, {
        client: { ...chain.client, call: async () => ({ data: "0x" }), estimateGas: async () => 300_000n },
      });
      const data = encodeFunctionData({
        abi: commitmentVaultAbi,
        functionName: "claimMilestone",
        args: [id, 0n, parameters.evidenceHash, BigInt(parameters.validUntil), parameters.signatures],
      });
      const error = await rejectionOf(
        late.submit({ to: chain.vault, data, operation: "claimMilestone", rowIds: [record.id] }),
      );
      expect(error).to.be.instanceOf(ConflictError).and.to.have.property("code", "transaction_taken");
      await mineUntilConfirmed(id);
      expect(await releases(id, 0)).to.have.length(1);
      expect(await nonceOf(chain.accounts.operator.address)).to.equal(1);
      expect(await store.chainTransactions.get(claimKey(id, 0))).to.include({ attempts: 1 });
    });

    /**
     * A sender whose first broadcast fails in transit: `delivered` says whether the node got it before the
     * connection broke (the answer was lost) or not (the request was).
     */
    function senderLosingFirstBroadcast(delivered: boolean): TransactionSender {
      let lost = false;
      const client: CreateTransactionSenderParameters["client"] = {
        ...chain.client,
        sendRawTransaction: async (parameters) => {
          if (lost) return chain.client.sendRawTransaction(parameters);
          lost = true;
          if (delivered) await chain.client.sendRawTransaction(parameters);
          throw new HttpRequestError({ url: "http://rpc.invalid", details: "socket hang up" });
        },
      };
      return sender(chain.accounts.operator, { client });
    }

    for (const delivered of [true, false]) {
      it(`a broadcast lost in transit (${delivered ? "the answer" : "the request"}) is maybe sent: followed and sent again with the same nonce, mined once, no nonce gap`, async () => {
        const id = await openCommitment();
        const through = relayer(senderLosingFirstBroadcast(delivered));
        const result = await through.relayClaim(await claimParameters(id));
        expect(result).to.include({ status: "confirmed", submitted: true });
        const row = await store.chainTransactions.get(claimKey(id, 0));
        expect(row).to.include({ status: "confirmed", nonce: 0, txHash: result.txHash });
        expect(await releases(id, 0)).to.have.length(1);
        expect(await nonceOf(chain.accounts.operator.address)).to.equal(1);
        // Asking again sends nothing, and the next milestone's claim takes the next nonce.
        expect(await through.relayClaim(await claimParameters(id))).to.include({ submitted: false });
        const next = await openCommitment();
        expect(await through.relayClaim(await claimParameters(next))).to.include({ status: "confirmed" });
        expect((await store.chainTransactions.get(claimKey(next, 0)))?.nonce).to.equal(1);
        expect(await nonceOf(chain.accounts.operator.address)).to.equal(2);
      });
    }

    /** As if the dead process's leases had expired. */
    async function resetLocks() {
      if (opened !== undefined) await opened.database.db.execute(sql`delete from locks`);
    }
  });
}
