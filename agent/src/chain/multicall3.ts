/**
 * Multicall3 (github.com/mds1/multicall): `aggregate3` runs a list of calls in one transaction and, with
 * `allowFailure`, lets one call revert without sinking the others. The keeper batches slashes through it, so a
 * milestone settled by someone else between simulation and mining costs only its own item.
 *
 * Public chains have it at the canonical address below (deployed by a pre-signed transaction, same address
 * everywhere). A fresh Hardhat chain has no code there: `scripts/lib/multicall3.ts` puts it there on local chains.
 */
import { type Address, decodeFunctionResult, encodeFunctionData, type Hex, multicall3Abi } from "viem";

export const MULTICALL3_ADDRESS: Address = "0xcA11bde05977b3631167028862bE2a173976CA11";

export interface Aggregate3Call {
  target: Address;
  callData: Hex;
}

export interface Aggregate3Result {
  success: boolean;
  returnData: Hex;
}

/** `aggregate3(calls)` with `allowFailure: true` on every call. */
export function encodeAggregate3(calls: readonly Aggregate3Call[]): Hex {
  return encodeFunctionData({
    abi: multicall3Abi,
    functionName: "aggregate3",
    args: [calls.map((call) => ({ target: call.target, allowFailure: true, callData: call.callData }))],
  });
}

/** The per-call results of an `aggregate3` `eth_call`. */
export function decodeAggregate3(data: Hex): readonly Aggregate3Result[] {
  return decodeFunctionResult({ abi: multicall3Abi, functionName: "aggregate3", data });
}
