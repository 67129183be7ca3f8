import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { ChallengePool } from "../../types/ethers-contracts/index.js";

export interface DeployChallengePoolParameters {
  /** The CommitmentVault (v2) the pool stakes into. */
  vault: string;
  /** Owner of the pool (may only sweep surplus). */
  admin: string;
}

export interface DeployChallengePoolReturnType {
  pool: ChallengePool;
  deploymentBlock: number;
  /** The pool's creation transaction. */
  transactionHash: string;
  /** Exactly what the pool's constructor got (an explorer needs them to verify the source). */
  constructorArgs: [vault: string, admin: string];
}

/**
 * Deploys ChallengePool exactly as production does, after the vault (so the vault's and the mock USDC's
 * deterministic local addresses do not move); the contract tests use this same function as their fixture.
 */
export async function deployChallengePool(
  ethers: HardhatEthers,
  { vault, admin }: DeployChallengePoolParameters,
): Promise<DeployChallengePoolReturnType> {
  const constructorArgs: DeployChallengePoolReturnType["constructorArgs"] = [vault, admin];
  const pool = await ethers.deployContract("ChallengePool", constructorArgs);
  await pool.waitForDeployment();
  const deployment = pool.deploymentTransaction();
  const receipt = await deployment?.wait();
  return {
    pool,
    deploymentBlock: receipt?.blockNumber ?? 0,
    transactionHash: deployment?.hash ?? "",
    constructorArgs,
  };
}
