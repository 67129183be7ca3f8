/**
 * Pages through the cached commitments that still have unsettled milestones (the keeper's and automatic
 * settlement's scan), each page with the milestones a transaction of `kind` already covers (a `pending` or
 * `confirmed` row), which neither sends again. Bounded: `maxPages` pages of `pageSize`; the caller stops
 * early by leaving the loop.
 */
import type { Address } from "viem";
import type { ChainTransactionKey } from "../store/chainTransactionsRepository.ts";
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import type { Repositories } from "../store/store.ts";
import { milestoneKey } from "./settlementRows.ts";

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
): AsyncGenerator<UnsettledPage> {
  const { chainId, vault } = target;
  const { scanPageSize: pageSize, maxScanPages: maxPages } = limits;
  let afterId: bigint | undefined;
  for (let page = 0; page < maxPages; page++) {
    const rows = await store.commitments.listUnsettled({
      chainId,
      vault,
      limit: pageSize,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    const last = rows.at(-1);
    if (last === undefined) return;
    afterId = last.commitmentId;
    const sent = await store.chainTransactions.listForCommitments({
      chainId,
      vault,
      kind,
      commitmentIds: rows.map((row) => row.commitmentId),
    });
    const taken = new Set(sent.filter((tx) => isTaken(kind, tx)).map(milestoneKey));
    yield { rows, taken };
    if (rows.length < pageSize) return;
  }
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
