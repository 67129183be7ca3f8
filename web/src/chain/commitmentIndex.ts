/**
 * The dashboard's chain fallback for "which commitments are mine", used only when the agent cannot answer.
 *
 * It reads by id instead of scanning logs: the vault numbers commitments 1..`commitmentCount()`, so this reads
 * `commitmentCount()`, then `getCommitment(id)` for the newest ids first, ID_BATCH ids per `eth_call` through
 * the vault's own `multicall`, keeping those whose owner is the account. The cost depends on how many
 * commitments the vault holds, never on how many blocks ago one was created: a commitment made 1,000,000 blocks
 * ago is found with the same few calls as one made a minute ago (a log scan over 50 × 10,000 blocks lost it
 * after about 12 days on Base). Bounds: at most MAX_SCANNED_IDS of the newest ids (MAX_SCANNED_IDS / ID_BATCH
 * calls) and at most MAX_FOUND commitments; older ones than the scanned range are reported as `truncated`.
 */
import { type Address, decodeFunctionResult, encodeFunctionData, type Hex, type PublicClient } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";

/** `getCommitment` calls per `eth_call`. */
export const ID_BATCH = 250;
/** The newest ids read at most (16 `eth_call`s). */
export const MAX_SCANNED_IDS = 4_000;
/** The most commitments listed. */
export const MAX_FOUND = 50;

export interface OwnedIds {
  /** Newest first. */
  ids: bigint[];
  /** Ids below this were not read (the vault holds more than MAX_SCANNED_IDS commitments), or MAX_FOUND hit. */
  truncated: boolean;
  /** How many ids were read. */
  scanned: number;
}

export interface ListOwnedIdsOptions {
  maxScanned?: number;
  maxFound?: number;
  batch?: number;
}

/** The account's commitment ids, newest first, read by id (see the module comment for the bounds). */
export async function listOwnedCommitmentIds(
  client: Pick<PublicClient, "readContract" | "call">,
  vault: Address,
  owner: Address,
  { maxScanned = MAX_SCANNED_IDS, maxFound = MAX_FOUND, batch = ID_BATCH }: ListOwnedIdsOptions = {},
): Promise<OwnedIds> {
  const count = await client.readContract({
    address: vault,
    abi: commitmentVaultAbi,
    functionName: "commitmentCount",
  });
  const lowest = count > BigInt(maxScanned) ? count - BigInt(maxScanned) + 1n : 1n;
  const ids: bigint[] = [];
  let scanned = 0;
  let next = count;
  const wanted = owner.toLowerCase();
  while (next >= lowest && ids.length < maxFound) {
    const from = next - BigInt(batch) + 1n > lowest ? next - BigInt(batch) + 1n : lowest;
    const batchIds: bigint[] = [];
    for (let id = next; id >= from; id--) batchIds.push(id);
    const calls: Hex[] = batchIds.map((id) =>
      encodeFunctionData({ abi: commitmentVaultAbi, functionName: "getCommitment", args: [id] }),
    );
    const { data } = await client.call({
      to: vault,
      data: encodeFunctionData({ abi: commitmentVaultAbi, functionName: "multicall", args: [calls] }),
    });
    if (data === undefined) throw new Error("the vault answered nothing for its commitments");
    const results = decodeFunctionResult({ abi: commitmentVaultAbi, functionName: "multicall", data });
    if (results.length !== batchIds.length) throw new Error("multicall answered too few results");
    results.forEach((result, i) => {
      const c = decodeFunctionResult({
        abi: commitmentVaultAbi,
        functionName: "getCommitment",
        data: result,
      });
      const id = batchIds[i];
      if (id !== undefined && c.owner.toLowerCase() === wanted && ids.length < maxFound) ids.push(id);
    });
    scanned += batchIds.length;
    next = from - 1n;
  }
  return { ids, truncated: next >= 1n, scanned };
}
