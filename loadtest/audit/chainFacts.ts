/**
 * What the chain says happened, read independently of the agents: the vault's settlement events, and every
 * transaction the operator account (relayer + keeper) got mined, decoded down to the milestones it tried to
 * settle (a direct claimMilestone/slash, the vault's own multicall, or Multicall3's aggregate3 of slashes).
 */
import {
  type Address,
  decodeFunctionData,
  getAddress,
  type Hash,
  type Hex,
  parseAbi,
  type PublicClient,
} from "viem";
import { commitmentVaultAbi } from "../../deployments/abi.ts";
import { readInRanges } from "./blockRanges.ts";

const aggregate3Abi = parseAbi([
  "struct Call3 { address target; bool allowFailure; bytes callData; }",
  "function aggregate3(Call3[] calls) payable returns ((bool success, bytes returnData)[])",
]);

export interface Settlement {
  commitmentId: bigint;
  index: number;
  kind: "released" | "slashed";
  txHash: Hash;
  blockNumber: bigint;
}

export interface OperatorAttempt {
  commitmentId: bigint;
  index: number;
  kind: "claim" | "slash";
  txHash: Hash;
  nonce: number;
  success: boolean;
}

export interface ChainFacts {
  commitments: Map<bigint, { owner: Address; milestones: number }>;
  settlements: Settlement[];
  operatorTxs: Set<Hash>;
  attempts: OperatorAttempt[];
  operatorNonce: { latest: number; pending: number };
  head: bigint;
}

/** Decodes the vault calls inside one transaction's input (nested multicalls included). */
function vaultCallsOf(vault: Address, to: Address, input: Hex): { fn: string; args: readonly unknown[] }[] {
  if (getAddress(to) !== getAddress(vault)) {
    try {
      const outer = decodeFunctionData({ abi: aggregate3Abi, data: input });
      return outer.args[0]
        .filter((call) => getAddress(call.target) === getAddress(vault))
        .flatMap((call) => vaultCallsOf(vault, vault, call.callData));
    } catch {
      return [];
    }
  }
  try {
    const call = decodeFunctionData({ abi: commitmentVaultAbi, data: input });
    if (call.functionName === "multicall") {
      return (call.args[0] as readonly Hex[]).flatMap((inner) => vaultCallsOf(vault, vault, inner));
    }
    return [{ fn: call.functionName, args: call.args ?? [] }];
  } catch {
    return [];
  }
}

async function mapConcurrent<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next;
        next += 1;
        if (i >= items.length) return;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

export async function readChainFacts(
  client: PublicClient,
  p: { vault: Address; operator: Address; fromBlock: bigint },
): Promise<ChainFacts> {
  const head = await client.getBlockNumber({ cacheTime: 0 });
  const created = await readInRanges(p.fromBlock, head, (fromBlock, toBlock) =>
    client.getContractEvents({
      address: p.vault,
      abi: commitmentVaultAbi,
      eventName: "CommitmentCreated",
      fromBlock,
      toBlock,
    }),
  );
  const released = await readInRanges(p.fromBlock, head, (fromBlock, toBlock) =>
    client.getContractEvents({
      address: p.vault,
      abi: commitmentVaultAbi,
      eventName: "MilestoneReleased",
      fromBlock,
      toBlock,
    }),
  );
  const slashed = await readInRanges(p.fromBlock, head, (fromBlock, toBlock) =>
    client.getContractEvents({
      address: p.vault,
      abi: commitmentVaultAbi,
      eventName: "MilestoneSlashed",
      fromBlock,
      toBlock,
    }),
  );
  const commitments = new Map<bigint, { owner: Address; milestones: number }>();
  for (const log of created) {
    const { id, owner, milestones } = log.args;
    if (id !== undefined && owner !== undefined && milestones !== undefined)
      commitments.set(id, { owner, milestones });
  }
  const settlements: Settlement[] = [];
  for (const [kind, logs] of [
    ["released", released],
    ["slashed", slashed],
  ] as const) {
    for (const log of logs) {
      if (log.args.id === undefined || log.args.index === undefined) continue;
      settlements.push({
        commitmentId: log.args.id,
        index: Number(log.args.index),
        kind,
        txHash: log.transactionHash,
        blockNumber: log.blockNumber,
      });
    }
  }

  // Every block's transactions, to find the operator's (no index by sender on a node).
  const numbers: bigint[] = [];
  for (let n = p.fromBlock; n <= head; n += 1n) numbers.push(n);
  const operator = getAddress(p.operator);
  const operatorTxs = new Set<Hash>();
  const sent: { hash: Hash; to: Address; input: Hex; nonce: number }[] = [];
  await mapConcurrent(numbers, 8, async (blockNumber) => {
    const block = await client.getBlock({ blockNumber, includeTransactions: true });
    for (const tx of block.transactions) {
      if (getAddress(tx.from) !== operator || tx.to === null) continue;
      operatorTxs.add(tx.hash);
      sent.push({ hash: tx.hash, to: tx.to, input: tx.input, nonce: tx.nonce });
    }
  });
  const attempts: OperatorAttempt[] = [];
  await mapConcurrent(sent, 8, async (tx) => {
    const receipt = await client.getTransactionReceipt({ hash: tx.hash });
    for (const call of vaultCallsOf(p.vault, tx.to, tx.input)) {
      if (call.fn !== "claimMilestone" && call.fn !== "slash") continue;
      attempts.push({
        commitmentId: call.args[0] as bigint,
        index: Number(call.args[1] as bigint),
        kind: call.fn === "slash" ? "slash" : "claim",
        txHash: tx.hash,
        nonce: tx.nonce,
        success: receipt.status === "success",
      });
    }
  });
  const [latest, pending] = await Promise.all([
    client.getTransactionCount({ address: operator, blockTag: "latest" }),
    client.getTransactionCount({ address: operator, blockTag: "pending" }),
  ]);
  return { commitments, settlements, operatorTxs, attempts, operatorNonce: { latest, pending }, head };
}
