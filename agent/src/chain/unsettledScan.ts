/**
 * Pages through the cached commitments that still have unsettled milestones (the keeper's and automatic
 * settlement's scan), each page with the milestones a transaction of `kind` already covers (a `pending` or
 * `confirmed` row), which neither sends again. Bounded: `maxPages` pages of `pageSize`; the caller stops
 * early by leaving the loop.
 *
 * A run that stops early (its budget spent, or out of pages) must not start the next one from the first
 * commitment again: milestones that stay candidates run after run (a missed week whose deadline is still ahead,
 * a met one whose slash is withheld) would take every run's budget, and the commitments after them would never
 * be reached (the load test's 200 users: the last ~90 arrivals' met milestones were never claimed). So a
 * `ScanCursor` carries where the scan stopped to the next run, which goes on from there and, once it reaches the
 * last commitment, starts again from the first: every commitment is looked at within
 * ⌈candidates / budget⌉ runs.
 */
import type { Address } from "viem";
import type { ChainTransactionKey } from "../store/chainTransactionsRepository.ts";
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import type { Repositories } from "../store/store.ts";
import { milestoneKey } from "./settlementRows.ts";

/** Where the next run of a scan starts (in memory, per process: each replica's runs go round on their own). */
export interface ScanCursor {
  /** The next run looks at commitments after this id; undefined: from the first. */
  readonly startAfter: bigint | undefined;
  /** The scan's first page of this run starts with `commitmentId` (`unsettledPages` tells it). */
  began(commitmentId: bigint): void;
  /**
   * This run stopped before looking at (all of) `commitmentId`: the next run starts with it; or after it when
   * this run started with it too (one commitment with more candidates than a run's budget must not hold every run).
   */
  stopBefore(commitmentId: bigint): void;
  /**
   * This run stopped before `commitmentId` for a reason of its own (out of time, its lease lost): the next run
   * starts with it, even when this run started with it too.
   */
  resumeAt(commitmentId: bigint): void;
  /** This run looked at every commitment up to the last one: the next run starts from the first. */
  wrap(): void;
}

export function createScanCursor(): ScanCursor {
  let startAfter: bigint | undefined;
  let firstOfRun: bigint | undefined;
  return {
    get startAfter() {
      return startAfter;
    },
    began(commitmentId) {
      firstOfRun = commitmentId;
    },
    stopBefore(commitmentId) {
      if (commitmentId === firstOfRun) startAfter = commitmentId;
      else startAfter = commitmentId > 0n ? commitmentId - 1n : undefined;
    },
    resumeAt(commitmentId) {
      startAfter = commitmentId > 0n ? commitmentId - 1n : undefined;
    },
    wrap() {
      startAfter = undefined;
    },
  };
}

export interface UnsettledPage {
  rows: CommitmentRecord[];
  /** `milestoneKey`s with a pending or confirmed transaction of the kind. */
  taken: ReadonlySet<string>;
}

/** `target` is the vault scanned, `limits` the scan's bounds (`scanPageSize` rows a page, `maxScanPages` pages). */
export async function* unsettledPages(
  store: Pick<Repositories, "commitments" | "chainTransactions">,
  target: { chainId: number; vault: Address },
  kind: ChainTransactionKey["kind"],
  limits: { scanPageSize: number; maxScanPages: number },
  cursor: ScanCursor = createScanCursor(),
): AsyncGenerator<UnsettledPage> {
  const { chainId, vault } = target;
  const { scanPageSize: pageSize, maxScanPages: maxPages } = limits;
  let afterId = cursor.startAfter;
  for (let page = 0; page < maxPages; page++) {
    const rows = await store.commitments.listUnsettled({
      chainId,
      vault,
      limit: pageSize,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    const [first] = rows;
    const last = rows.at(-1);
    if (first === undefined || last === undefined) return cursor.wrap();
    if (page === 0) cursor.began(first.commitmentId);
    afterId = last.commitmentId;
    const sent = await store.chainTransactions.listForCommitments({
      chainId,
      vault,
      kind,
      commitmentIds: rows.map((row) => row.commitmentId),
    });
    const taken = new Set(sent.filter((tx) => isTaken(kind, tx)).map(milestoneKey));
    yield { rows, taken };
    if (rows.length < pageSize) return cursor.wrap();
  }
  // Out of pages: the next run goes on after the last commitment this one saw.
  if (afterId !== undefined) cursor.stopBefore(afterId + 1n);
}

/**
 * A pending or confirmed transaction takes its milestone; except a claim row never signed (its replica died, or
 * could not give it back, between recording and signing): nobody follows it, and the relayer sends such a row
 * itself under its lease, so the scan must offer the milestone again (else it stays Open for good: the keeper
 * withholds a met milestone's slash).
 */
function isTaken(kind: string, tx: { status: string; txHash: string | null }): boolean {
  if (tx.status === "confirmed") return true;
  return tx.status === "pending" && !(kind === "claim" && tx.txHash === null);
}
