/**
 * The store side of the chain layer on both drivers: `chain_transactions` (one row per milestone a sender
 * settles) and the commitments-cache queries the keeper and the indexer added.
 */
import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import { ValidationError } from "../../src/errors.ts";
import type { ChainTransactionKey } from "../../src/store/chainTransactionsRepository.ts";
import type { CommitmentInput } from "../../src/store/commitmentsRepository.ts";
import type { Store } from "../../src/store/store.ts";
import { START } from "../http/testApp.ts";
import { type OpenedTestStore, openOrSkip, storeDrivers } from "../store/storeDrivers.ts";
import { rejectionOf, resetChainTables } from "./chainTestSupport.ts";

const VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const OPERATOR = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
const HASH_A = `0x${"a".repeat(64)}`;
const HASH_B = `0x${"b".repeat(64)}`;

function key(
  commitmentId: bigint,
  milestoneIndex: number,
  kind: "claim" | "slash" = "claim",
): ChainTransactionKey {
  return { chainId: 31_337, vault: VAULT, kind, commitmentId, milestoneIndex };
}

function commitment(id: bigint, overrides: Partial<CommitmentInput> = {}): CommitmentInput {
  return {
    chainId: 31_337,
    vault: VAULT,
    commitmentId: id,
    owner: OPERATOR,
    token: "0x0000000000000000000000000000000000000000",
    amount: 3n,
    start: 1_000,
    period: 3_600,
    milestones: 3,
    grace: 600,
    beneficiary: "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    rulesHash: HASH_A,
    closed: false,
    milestoneStates: ["Open", "Open", "Open"],
    updatedBlock: 10,
    ...overrides,
  };
}

for (const driver of storeDrivers) {
  const suiteTitle = `chain: store queries on ${driver.name}`;

  describe(suiteTitle, () => {
    const clock = new ManualClock(START);
    let opened: OpenedTestStore | undefined;
    let store: Store;

    before(async function () {
      opened = await openOrSkip(this, driver, clock, suiteTitle);
      store = opened.store;
    });

    after(async () => {
      await opened?.cleanup();
    });

    afterEach(async () => {
      if (opened !== undefined) await resetChainTables(opened.database);
    });

    describe("chain transactions", () => {
      it("insertIfAbsent creates one row per milestone and hands later callers the existing one", async () => {
        const first = await store.chainTransactions.insertIfAbsent({ ...key(1n, 0), fromAddress: OPERATOR });
        expect(first.created).to.equal(true);
        expect(first.record).to.include({
          status: "pending",
          attempts: 0,
          nonce: null,
          txHash: null,
          fromAddress: OPERATOR,
          vault: VAULT,
        });
        const second = await store.chainTransactions.insertIfAbsent({
          ...key(1n, 0),
          fromAddress: "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
        });
        expect(second).to.deep.equal({ created: false, record: first.record });
        // Another kind or milestone is another row.
        expect(
          (await store.chainTransactions.insertIfAbsent({ ...key(1n, 0, "slash"), fromAddress: OPERATOR }))
            .created,
        ).to.equal(true);
        expect(
          (await store.chainTransactions.insertIfAbsent({ ...key(1n, 1), fromAddress: OPERATOR })).created,
        ).to.equal(true);
        const racing = await Promise.all(
          [0, 1, 2, 3].map(() =>
            store.chainTransactions.insertIfAbsent({ ...key(2n, 0), fromAddress: OPERATOR }),
          ),
        );
        expect(racing.filter((r) => r.created)).to.have.length(1);
      });

      it("records attempts (merging details), sets statuses, and lists pending rows oldest first", async () => {
        const a = (
          await store.chainTransactions.insertIfAbsent({
            ...key(1n, 0),
            fromAddress: OPERATOR,
            details: { x: 1 },
          })
        ).record;
        clock.advance(1_000);
        const b = (await store.chainTransactions.insertIfAbsent({ ...key(2n, 0), fromAddress: OPERATOR }))
          .record;
        clock.advance(1_000);
        const [attempted] = await store.chainTransactions.recordAttempt({
          ids: [a.id],
          nonce: 7,
          txHash: HASH_A.toUpperCase().replace("0X", "0x"),
          details: { tx: { hashes: [HASH_A] } },
        });
        expect(attempted).to.include({ nonce: 7, txHash: HASH_A, attempts: 1, status: "pending" });
        expect(attempted?.details).to.deep.equal({ x: 1, tx: { hashes: [HASH_A] } });
        const [again] = await store.chainTransactions.recordAttempt({
          ids: [a.id],
          nonce: 7,
          txHash: HASH_B,
          details: { tx: { hashes: [HASH_A, HASH_B] } },
        });
        expect(again).to.include({ attempts: 2, txHash: HASH_B });

        const pending = await store.chainTransactions.listPending({ chainId: 31_337, vault: VAULT });
        expect(pending.map((row) => row.id)).to.deep.equal([b.id, a.id]);
        expect(
          (await store.chainTransactions.listPending({ chainId: 31_337, vault: VAULT, kind: "slash" }))
            .length,
        ).to.equal(0);
        expect(
          (await store.chainTransactions.listPending({ chainId: 31_337, vault: VAULT, limit: 1 })).map(
            (r) => r.id,
          ),
        ).to.deep.equal([b.id]);

        const [done] = await store.chainTransactions.setStatus({
          ids: [a.id],
          status: "confirmed",
          txHash: HASH_A,
        });
        expect(done).to.include({ status: "confirmed", txHash: HASH_A, attempts: 2 });
        expect(
          (await store.chainTransactions.listPending({ chainId: 31_337, vault: VAULT })).map((r) => r.id),
        ).to.deep.equal([b.id]);
      });

      it("reopens only a failed or reverted row, and only once", async () => {
        const row = (await store.chainTransactions.insertIfAbsent({ ...key(1n, 0), fromAddress: OPERATOR }))
          .record;
        expect(await store.chainTransactions.reopen(key(1n, 0))).to.equal(null);
        await store.chainTransactions.recordAttempt({ ids: [row.id], nonce: 1, txHash: HASH_A, details: {} });
        await store.chainTransactions.setStatus({
          ids: [row.id],
          status: "reverted",
          lastError: "reverted on chain",
        });
        const [first, second] = await Promise.all([
          store.chainTransactions.reopen(key(1n, 0)),
          store.chainTransactions.reopen(key(1n, 0)),
        ]);
        const reopened = first ?? second;
        expect([first, second].filter((r) => r !== null)).to.have.length(1);
        expect(reopened).to.include({
          status: "pending",
          txHash: null,
          nonce: null,
          lastError: null,
          attempts: 1,
        });
        await store.chainTransactions.setStatus({ ids: [row.id], status: "confirmed" });
        expect(await store.chainTransactions.reopen(key(1n, 0))).to.equal(null);
      });

      it("deletes a row only while nothing was signed for it", async () => {
        const unsent = (
          await store.chainTransactions.insertIfAbsent({ ...key(1n, 0), fromAddress: OPERATOR })
        ).record;
        const sent = (await store.chainTransactions.insertIfAbsent({ ...key(1n, 1), fromAddress: OPERATOR }))
          .record;
        await store.chainTransactions.recordAttempt({
          ids: [sent.id],
          nonce: 1,
          txHash: HASH_A,
          details: {},
        });
        expect(await store.chainTransactions.deleteUnsent(unsent.id)).to.equal(true);
        expect(await store.chainTransactions.deleteUnsent(sent.id)).to.equal(false);
        expect(await store.chainTransactions.get(key(1n, 0))).to.equal(null);
        expect(await store.chainTransactions.get(key(1n, 1))).to.include({ id: sent.id });
      });

      it("lists every row of some commitments", async () => {
        for (const [id, index] of [
          [1n, 0],
          [1n, 2],
          [2n, 1],
          [3n, 0],
        ] as const) {
          await store.chainTransactions.insertIfAbsent({ ...key(id, index, "slash"), fromAddress: OPERATOR });
        }
        const rows = await store.chainTransactions.listForCommitments({
          chainId: 31_337,
          vault: VAULT,
          kind: "slash",
          commitmentIds: [1n, 3n],
        });
        expect(rows.map((row) => [row.commitmentId, row.milestoneIndex])).to.deep.equal([
          [1n, 0],
          [1n, 2],
          [3n, 0],
        ]);
        expect(
          await store.chainTransactions.listForCommitments({
            chainId: 31_337,
            vault: VAULT,
            kind: "claim",
            commitmentIds: [],
          }),
        ).to.deep.equal([]);
      });

      it("rejects invalid input with ValidationError and stores nothing", async () => {
        for (const bad of [
          { ...key(1n, 0), fromAddress: OPERATOR, vault: "0x1234" },
          { ...key(1n, 104), fromAddress: OPERATOR },
          { ...key(1n, 0), fromAddress: OPERATOR, kind: "withdraw" },
          { ...key(-1n, 0), fromAddress: OPERATOR },
        ]) {
          const error = await rejectionOf(
            store.chainTransactions.insertIfAbsent(
              bad as Parameters<Store["chainTransactions"]["insertIfAbsent"]>[0],
            ),
          );
          expect(error).to.be.instanceOf(ValidationError);
          expect((error as ValidationError).code).to.equal("invalid_store_input");
        }
        const badHash = await rejectionOf(
          store.chainTransactions.setStatus({
            ids: [crypto.randomUUID()],
            status: "confirmed",
            txHash: "0x12",
          }),
        );
        expect(badHash).to.be.instanceOf(ValidationError);
        expect(await store.chainTransactions.listPending({ chainId: 31_337, vault: VAULT })).to.deep.equal(
          [],
        );
      });
    });

    describe("commitments cache queries", () => {
      it("listUnsettled pages through open commitments with an Open milestone, by id", async () => {
        await store.commitments.upsert(commitment(1n));
        await store.commitments.upsert(
          commitment(2n, { milestoneStates: ["Released", "Slashed", "Released"] }),
        );
        await store.commitments.upsert(
          commitment(3n, { closed: true, milestoneStates: ["Released", "Refunded", "Refunded"] }),
        );
        await store.commitments.upsert(commitment(4n, { milestoneStates: ["Slashed", "Open", "Released"] }));
        await store.commitments.upsert(commitment(5n));
        await store.commitments.upsert(commitment(6n, { vault: OPERATOR }));
        const all = await store.commitments.listUnsettled({ chainId: 31_337, vault: VAULT });
        expect(all.map((row) => row.commitmentId)).to.deep.equal([1n, 4n, 5n]);
        const page = await store.commitments.listUnsettled({
          chainId: 31_337,
          vault: VAULT,
          afterId: 1n,
          limit: 1,
        });
        expect(page.map((row) => row.commitmentId)).to.deep.equal([4n]);
      });

      it("listUpdatedAfter and delete serve the indexer's reorg repair", async () => {
        await store.commitments.upsert(commitment(1n, { updatedBlock: 10 }));
        await store.commitments.upsert(commitment(2n, { updatedBlock: 20 }));
        await store.commitments.upsert(commitment(3n, { updatedBlock: 30 }));
        const after = await store.commitments.listUpdatedAfter({ chainId: 31_337, vault: VAULT, block: 15 });
        expect(after.map((row) => row.commitmentId)).to.deep.equal([2n, 3n]);
        expect(
          (
            await store.commitments.listUpdatedAfter({
              chainId: 31_337,
              vault: VAULT,
              block: 15,
              afterId: 2n,
            })
          ).map((row) => row.commitmentId),
        ).to.deep.equal([3n]);
        expect(await store.commitments.delete({ chainId: 31_337, vault: VAULT, commitmentId: 3n })).to.equal(
          true,
        );
        expect(await store.commitments.delete({ chainId: 31_337, vault: VAULT, commitmentId: 3n })).to.equal(
          false,
        );
        expect(await store.commitments.get({ chainId: 31_337, vault: VAULT, commitmentId: 3n })).to.equal(
          null,
        );
      });
    });
  });
}
