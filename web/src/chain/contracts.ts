/** The deployment's contracts as call targets (chain, address, ABI) to spread into a read or a transaction. */
import type { Address } from "viem";
import { challengePoolAbi, commitmentVaultAbi } from "../../../deployments/abi.ts";
import type { Deployment } from "./deployments.ts";

export function vaultContract(deployment: Deployment) {
  return { chainId: deployment.chainId, address: deployment.vault.address, abi: commitmentVaultAbi } as const;
}

export function poolOf(deployment: Deployment): Address {
  if (deployment.challengePool === undefined) throw new Error("This deployment has no challenge pool.");
  return deployment.challengePool.address;
}

/** Throws when the deployment has no challenge pool. */
export function poolContract(deployment: Deployment) {
  return { chainId: deployment.chainId, address: poolOf(deployment), abi: challengePoolAbi } as const;
}
