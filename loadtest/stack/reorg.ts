/**
 * A chain reorganisation on a Hardhat node, `depth` blocks deep, while the agents' indexers follow the chain:
 *
 *  1. `evm_snapshot` at head B (the RPC gate holds requests for that instant and then records every
 *     state-changing call it lets through);
 *  2. `depth` blocks are mined past B (by the traffic, or empty ones by `evm_mine` when the traffic is slow) and
 *     the indexers get `followMs` to read them;
 *  3. the gate holds every request; `evm_revert` to B; the recorded calls are replayed in their original order
 *     (the same signed transactions: same hashes, new blocks); empty blocks are mined until the new head is past
 *     the old one (a longer chain, as a real reorg); the gate releases the held requests.
 *
 * Nothing anyone did is lost, but the blocks B+1.. have new hashes and the events in them moved to other blocks:
 * exactly what an indexer must notice (a `removed` log, or a block hash that changed under it).
 */
import type { Hex } from "viem";
import { jsonRpc } from "./chain.ts";
import type { RpcGate } from "./rpcGate.ts";
import { sleep } from "./processes.ts";

export interface ReorgResult {
  /** The common ancestor (the snapshot's head). */
  base: number;
  oldHead: { number: number; hash: Hex };
  newHead: { number: number; hash: Hex };
  /** Calls replayed after the revert, and those the node refused the second time (should be none). */
  replayed: number;
  replayErrors: string[];
}

interface Block {
  number: Hex;
  hash: Hex;
  timestamp: Hex;
}

export async function reorgChain({
  nodeUrl,
  gate,
  depth,
  followMs,
  log = () => {},
}: {
  nodeUrl: string;
  gate: RpcGate;
  depth: number;
  followMs: number;
  log?: (line: string) => void;
}): Promise<ReorgResult> {
  const rpc = <T>(method: string, params: unknown[] = []) => jsonRpc<T>(nodeUrl, method, params);
  const head = async () => rpc<Block>("eth_getBlockByNumber", ["latest", false]);

  await gate.hold();
  let snapshot: Hex;
  let base: number;
  try {
    snapshot = await rpc<Hex>("evm_snapshot");
    base = Number(BigInt((await head()).number));
    gate.startRecording();
  } finally {
    gate.release();
  }

  const waitUntil = Date.now() + 2_000;
  for (;;) {
    const current = Number(BigInt((await head()).number));
    if (current >= base + depth) break;
    if (Date.now() > waitUntil) await rpc("evm_mine");
    else await sleep(100);
  }
  await sleep(followMs);

  await gate.hold();
  try {
    const old = await head();
    const calls = gate.stopRecording();
    const reverted = await rpc<boolean>("evm_revert", [snapshot]);
    if (!reverted) throw new Error(`evm_revert to snapshot ${snapshot} failed`);
    const replayErrors: string[] = [];
    for (const call of calls) {
      try {
        await rpc(call.method, call.params);
      } catch (error) {
        replayErrors.push(`${call.method}: ${(error as Error).message}`);
      }
    }
    const oldNumber = Number(BigInt(old.number));
    const oldTimestamp = Number(BigInt(old.timestamp));
    let latest = await head();
    while (Number(BigInt(latest.number)) <= oldNumber) {
      // Chain time never goes back across the reorg: the new blocks are at least as late as the old head.
      if (Number(BigInt(latest.timestamp)) < oldTimestamp) {
        await rpc("evm_setNextBlockTimestamp", [oldTimestamp + 1]);
      }
      await rpc("evm_mine");
      latest = await head();
    }
    const result: ReorgResult = {
      base,
      oldHead: { number: oldNumber, hash: old.hash },
      newHead: { number: Number(BigInt(latest.number)), hash: latest.hash },
      replayed: calls.length,
      replayErrors,
    };
    log(
      `reorg: blocks ${base + 1}..${oldNumber} replaced by ${base + 1}..${result.newHead.number} ` +
        `(${calls.length} calls replayed${replayErrors.length > 0 ? `, ${replayErrors.length} refused` : ""})`,
    );
    return result;
  } finally {
    gate.stopRecording();
    gate.release();
  }
}
