/**
 * The settlement scans' cursor (`unsettledScan.ts`): a run that stops early hands where it stopped to the next
 * run, which goes on from there and, past the last commitment, starts from the first again; a commitment that
 * alone fills a run's budget is skipped past, not retried forever. A store of five commitments in memory.
 */
import { expect } from "chai";
import type { Address } from "viem";
import { createScanCursor, type ScanCursor, unsettledPages } from "../../src/chain/unsettledScan.ts";
import type { ChainTransactionRecord } from "../../src/store/chainTransactionsRepository.ts";
import type { CommitmentRecord } from "../../src/store/commitmentsRepository.ts";

const target = { chainId: 31337, vault: "0x00000000000000000000000000000000000000aa" as Address };

function storeOf(ids: readonly bigint[], sent: Partial<ChainTransactionRecord>[] = []) {
  const pagesAsked: (bigint | undefined)[] = [];
  const store = {
    commitments: {
      async listUnsettled({ afterId, limit }: { afterId?: bigint; limit?: number }) {
        pagesAsked.push(afterId);
        return ids
          .filter((id) => afterId === undefined || id > afterId)
          .slice(0, limit)
          .map((commitmentId) => ({ commitmentId }) as CommitmentRecord);
      },
    },
    chainTransactions: {
      async listForCommitments({ commitmentIds }: { commitmentIds: bigint[] }) {
        const rows = sent as ChainTransactionRecord[];
        return rows.filter((tx) => commitmentIds.includes(tx.commitmentId));
      },
    },
  };
  return { store: store as unknown as Parameters<typeof unsettledPages>[0], pagesAsked };
}

/** One run: the ids it looked at, stopping before `stopAt` (as a spent budget does). */
async function run(
  store: Parameters<typeof unsettledPages>[0],
  cursor: ScanCursor,
  limits: { scanPageSize: number; maxScanPages: number },
  stopAt?: bigint,
): Promise<bigint[]> {
  const seen: bigint[] = [];
  for await (const { rows } of unsettledPages(store, target, "claim", limits, cursor)) {
    for (const row of rows) {
      if (row.commitmentId === stopAt) {
        cursor.stopBefore(row.commitmentId);
        return seen;
      }
      seen.push(row.commitmentId);
    }
  }
  return seen;
}

describe("unsettledScan: the settlement scans go on where the last run stopped", () => {
  const ids = [1n, 2n, 3n, 4n, 5n];

  it("a run stopped before commitment 3 is followed by one that starts with 3, then wraps to the first", async () => {
    const { store } = storeOf(ids);
    const cursor = createScanCursor();
    expect(await run(store, cursor, { scanPageSize: 10, maxScanPages: 5 }, 3n)).to.deep.equal([1n, 2n]);
    expect(cursor.startAfter).to.equal(2n);
    expect(await run(store, cursor, { scanPageSize: 10, maxScanPages: 5 })).to.deep.equal([3n, 4n, 5n]);
    expect(cursor.startAfter).to.equal(undefined);
    expect(await run(store, cursor, { scanPageSize: 10, maxScanPages: 5 })).to.deep.equal(ids);
  });

  it("out of pages, the next run goes on after the last commitment seen", async () => {
    const { store, pagesAsked } = storeOf(ids);
    const cursor = createScanCursor();
    expect(await run(store, cursor, { scanPageSize: 2, maxScanPages: 1 })).to.deep.equal([1n, 2n]);
    expect(await run(store, cursor, { scanPageSize: 2, maxScanPages: 1 })).to.deep.equal([3n, 4n]);
    expect(await run(store, cursor, { scanPageSize: 2, maxScanPages: 1 })).to.deep.equal([5n]);
    expect(await run(store, cursor, { scanPageSize: 2, maxScanPages: 1 })).to.deep.equal([1n, 2n]);
    expect(pagesAsked).to.deep.equal([undefined, 2n, 4n, undefined]);
  });

  it("a commitment that alone fills the first run's budget is skipped past by the next run", async () => {
    const { store } = storeOf(ids);
    const cursor = createScanCursor();
    await run(store, cursor, { scanPageSize: 10, maxScanPages: 5 }, 3n);
    // The second run starts with 3 and stops before it again: the third goes on after it.
    expect(await run(store, cursor, { scanPageSize: 10, maxScanPages: 5 }, 3n)).to.deep.equal([]);
    expect(await run(store, cursor, { scanPageSize: 10, maxScanPages: 5 })).to.deep.equal([4n, 5n]);
  });

  it("a run that stops at its first commitment for a reason of its own (time, lease lost) starts there again", async () => {
    const { store } = storeOf(ids);
    const cursor = createScanCursor();
    await run(store, cursor, { scanPageSize: 10, maxScanPages: 5 }, 3n);
    for await (const { rows } of unsettledPages(
      store,
      target,
      "claim",
      { scanPageSize: 10, maxScanPages: 5 },
      cursor,
    )) {
      const [first] = rows;
      if (first !== undefined) cursor.resumeAt(first.commitmentId);
      break;
    }
    expect(await run(store, cursor, { scanPageSize: 10, maxScanPages: 5 })).to.deep.equal([3n, 4n, 5n]);
  });

  it("names the milestones a pending or confirmed claim covers, but not a claim row never signed", async () => {
    const { store } = storeOf(ids, [
      { commitmentId: 1n, milestoneIndex: 0, status: "confirmed", txHash: "0x01" },
      { commitmentId: 2n, milestoneIndex: 1, status: "pending", txHash: "0x02" },
      { commitmentId: 3n, milestoneIndex: 0, status: "pending", txHash: null },
      { commitmentId: 4n, milestoneIndex: 2, status: "failed", txHash: "0x04" },
    ]);
    const taken: string[] = [];
    for await (const page of unsettledPages(store, target, "claim", { scanPageSize: 10, maxScanPages: 1 })) {
      taken.push(...page.taken);
    }
    expect(taken.sort()).to.deep.equal(["1:0", "2:1"]);
  });
});
