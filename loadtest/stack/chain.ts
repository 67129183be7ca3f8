/**
 * The load test's chain: a Hardhat node (automine) on a free port, the vault, an allowlisted mock USDC and the
 * ChallengePool deployed by the project's own deploy functions (scripts/lib), one oracle (threshold 1); then the
 * RPC gate in front of it (rpcGate.ts) that every client uses. Accounts are Hardhat's public development keys.
 */
import path from "node:path";
import { type Address, getAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployLocal } from "../../scripts/lib/deployLocal.ts";
import { freePort, type HardhatNode, spawnHardhatNode } from "../../scripts/lib/localChain.ts";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

/** A key and its address: Hardhat development accounts, public knowledge, local chains only. */
export interface KeyedAccount {
  address: Address;
  key: Hex;
}

function keyed(key: Hex): KeyedAccount {
  return { address: getAddress(privateKeyToAccount(key).address), key };
}

/** Hardhat #0 deploys and administers, #1 is the oracle, #3 the operator (relayer and keeper), as in `npm start`. */
export const STACK_ACCOUNTS = {
  deployer: keyed("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
  oracle: keyed("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
  operator: keyed("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
} as const;

export interface DeployedContracts {
  vault: Address;
  usdc: Address;
  challengePool?: Address;
  deploymentBlock: number;
  challengePoolDeploymentBlock?: number;
}

export interface StackChain {
  node: HardhatNode;
  nodeUrl: string;
  nodePort: number;
}

/** Starts the node; `stop` it even when `ready` fails. */
export async function startChainNode(): Promise<StackChain> {
  const nodePort = await freePort();
  const node = await spawnHardhatNode({ port: nodePort });
  return { node, nodeUrl: node.rpcUrl, nodePort };
}

/** Builds the contracts if needed, then deploys them to the node (deployer: account #0). */
export async function deployContracts(nodeUrl: string): Promise<DeployedContracts> {
  const deployed = await deployLocal(nodeUrl, {
    admin: STACK_ACCOUNTS.deployer.address,
    oracle: STACK_ACCOUNTS.oracle.address,
  });
  return {
    vault: deployed.vault,
    usdc: deployed.usdc,
    deploymentBlock: deployed.deploymentBlock,
    challengePool: deployed.pool,
    challengePoolDeploymentBlock: deployed.poolDeploymentBlock,
  };
}

let nextId = 1;

/** One JSON-RPC call; throws with the node's error message. */
export async function jsonRpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { result?: T; error?: { message?: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message ?? "error"}`);
  return body.result as T;
}

/** Test-only chain calls, sent through the RPC gate so that a reorg replays them. */
export interface ChainAdmin {
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  setBalance(address: Address, wei: bigint): Promise<void>;
  /** Moves the chain's time forward by `seconds` and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  latestTimestamp(): Promise<number>;
}

export function chainAdmin(gateUrl: string): ChainAdmin {
  const rpc = <T>(method: string, params: unknown[] = []) => jsonRpc<T>(gateUrl, method, params);
  return {
    rpc,
    async setBalance(address, wei) {
      await rpc("hardhat_setBalance", [address, `0x${wei.toString(16)}`]);
    },
    async increaseTime(seconds) {
      await rpc("evm_increaseTime", [Math.round(seconds)]);
      await rpc("evm_mine");
    },
    async latestTimestamp() {
      const block = await rpc<{ timestamp: Hex }>("eth_getBlockByNumber", ["latest", false]);
      return Number(BigInt(block.timestamp));
    },
  };
}
