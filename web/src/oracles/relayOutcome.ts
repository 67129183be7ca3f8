/**
 * A relayed (gasless) claim answers `pending`, `confirmed`, `reverted` or `failed`. The last two mean the milestone
 * was NOT released: they must surface as an error naming the milestones, never as "the relayer is claiming".
 */
import type { RelayResult } from "./oracleClient.ts";

export interface RelayedClaim extends RelayResult {
  commitmentId: bigint;
  index: number;
}

/** An error naming every milestone whose relayed claim reverted or failed; undefined when none did. */
export function relayFailure(results: readonly RelayedClaim[]): Error | undefined {
  const failed = results.filter((r) => r.status === "reverted" || r.status === "failed");
  if (failed.length === 0) return undefined;
  const list = failed
    .map((r) => `#${r.commitmentId} milestone ${r.index + 1}: ${r.status}${r.txHash ? ` (${r.txHash})` : ""}`)
    .join("; ");
  const done = results.length - failed.length;
  return new Error(
    `The relayer could not claim ${list}. ${done} of ${results.length} went through; claim the others from your wallet.`,
  );
}
