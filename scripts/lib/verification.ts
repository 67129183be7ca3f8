/**
 * What `npm run verify` submits for one deployment record: one request per contract the deploy created (the
 * vault, the challenge pool when the record has one, and the mock USDC when it deployed one), with the fully qualified contract name and the constructor
 * arguments the record kept. PURE: no network, no Hardhat runtime; scripts/verify.ts does the submitting.
 */
import type { DeploymentRecord } from "./writeDeployment.ts";

export const VAULT_CONTRACT = "contracts/CommitmentVault.sol:CommitmentVault";
export const CHALLENGE_POOL_CONTRACT = "contracts/ChallengePool.sol:ChallengePool";
export const MOCK_TOKEN_CONTRACT = "contracts/mocks/MockERC20Permit.sol:MockERC20Permit";

/** The explorers hardhat-verify knows; Etherscan's API v2 serves every chain Etherscan indexes with one key. */
export const VERIFICATION_PROVIDERS = ["etherscan", "blockscout", "sourcify"] as const;
export type VerificationProviderName = (typeof VERIFICATION_PROVIDERS)[number];

export interface VerificationRequest {
  /** For the log: "CommitmentVault", "MockERC20Permit (USDC)". */
  label: string;
  address: string;
  /** `<source>:<contract>`, so hardhat-verify does not have to guess from the bytecode. */
  contract: string;
  constructorArgs: unknown[];
}

export function verificationRequests(record: DeploymentRecord): VerificationRequest[] {
  const requests: VerificationRequest[] = [
    {
      label: "CommitmentVault",
      address: record.vault.address,
      contract: VAULT_CONTRACT,
      constructorArgs: [...record.vault.constructorArgs],
    },
  ];
  if (record.challengePool !== undefined) {
    requests.push({
      label: "ChallengePool",
      address: record.challengePool.address,
      contract: CHALLENGE_POOL_CONTRACT,
      constructorArgs: [...record.challengePool.constructorArgs],
    });
  }
  for (const token of record.tokens) {
    // Allowlisted tokens the deploy did not create (real USDC) are someone else's contracts.
    if (!token.mock) continue;
    if (token.constructorArgs === undefined) {
      throw new Error(
        `token ${token.symbol} ${token.address} is a mock but its constructor arguments were not recorded`,
      );
    }
    requests.push({
      label: `MockERC20Permit (${token.symbol})`,
      address: token.address,
      contract: MOCK_TOKEN_CONTRACT,
      constructorArgs: [...token.constructorArgs],
    });
  }
  return requests;
}

/**
 * `VERIFY_PROVIDERS` (comma-separated; default "etherscan,sourcify") → the explorers to submit to, in order.
 * Throws naming the unknown one.
 */
export function verificationProviders(raw: string | undefined): VerificationProviderName[] {
  const names = (raw === undefined || raw.trim() === "" ? "etherscan,sourcify" : raw)
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const providers: VerificationProviderName[] = [];
  for (const name of names) {
    if (!(VERIFICATION_PROVIDERS as readonly string[]).includes(name)) {
      throw new Error(
        `VERIFY_PROVIDERS: unknown explorer "${name}" (known: ${VERIFICATION_PROVIDERS.join(", ")})`,
      );
    }
    if (!providers.includes(name as VerificationProviderName))
      providers.push(name as VerificationProviderName);
  }
  if (providers.length === 0) throw new Error("VERIFY_PROVIDERS names no explorer");
  return providers;
}
