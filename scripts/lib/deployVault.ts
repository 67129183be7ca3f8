import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { CommitmentVault, MockERC20Permit } from "../../types/ethers-contracts/index.js";

export interface DeployVaultParameters {
  /** Holds DEFAULT_ADMIN_ROLE and GUARDIAN_ROLE. */
  admin: string;
  /** Oracle addresses (EOAs). */
  oracles: readonly string[];
  /** Signatures a claim needs, 1..=oracles.length. */
  threshold: number;
  /** Deploy a mock USDC (6 decimals, EIP-2612) and allowlist it: local chains and tests only. */
  withMockUsdc?: boolean;
  /** Existing ERC-20s to allowlist. */
  allowTokens?: readonly string[];
}

export interface DeployVaultReturnType {
  vault: CommitmentVault;
  usdc?: MockERC20Permit;
  deploymentBlock: number;
  /** The vault's creation transaction. */
  transactionHash: string;
  /** Exactly what the vault's constructor got (an explorer needs them to verify the source). */
  constructorArgs: [admin: string, oracles: string[], threshold: number];
  allowedTokens: string[];
}

/** The mock USDC's constructor arguments: name, symbol, decimals. */
export const MOCK_USDC_CONSTRUCTOR_ARGS: [name: string, symbol: string, decimals: number] = [
  "USD Coin (local)",
  "USDC",
  6,
];

/**
 * Deploys CommitmentVault exactly as production does; the contract tests use this same function as their
 * fixture, so what is tested is what ships.
 */
export async function deployVault(
  ethers: HardhatEthers,
  { admin, oracles, threshold, withMockUsdc = false, allowTokens = [] }: DeployVaultParameters,
): Promise<DeployVaultReturnType> {
  const constructorArgs: DeployVaultReturnType["constructorArgs"] = [admin, [...oracles], threshold];
  const vault = await ethers.deployContract("CommitmentVault", constructorArgs);
  await vault.waitForDeployment();
  const deployment = vault.deploymentTransaction();
  const receipt = await deployment?.wait();
  const allowedTokens = [...allowTokens];
  let usdc: MockERC20Permit | undefined;
  if (withMockUsdc) {
    usdc = await ethers.deployContract("MockERC20Permit", MOCK_USDC_CONSTRUCTOR_ARGS);
    await usdc.waitForDeployment();
    allowedTokens.push(await usdc.getAddress());
  }
  for (const token of allowedTokens) {
    await (await vault.setTokenAllowed(token, true)).wait();
  }
  return {
    vault,
    usdc,
    deploymentBlock: receipt?.blockNumber ?? 0,
    transactionHash: deployment?.hash ?? "",
    constructorArgs,
    allowedTokens,
  };
}
