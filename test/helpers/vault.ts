import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ATTESTATION_DOMAIN, MILESTONE_ATTESTATION_TYPES } from "@resolution-autopilot/vocabulary";
import type { TypedDataField } from "ethers";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { deployVault } from "../../scripts/lib/deployVault.js";
import type { CommitmentVault } from "../../types/ethers-contracts/index.js";

export const DAY = 24 * 60 * 60;
export const WEEK = 7 * DAY;
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
export const RULES_HASH = `0x${"ab".repeat(32)}`;
export const EVIDENCE_HASH = `0x${"cd".repeat(32)}`;
/** secp256k1 group order: s' = N - s turns a valid signature into its high-s twin. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** EIP-712 types of the attestation (mutable arrays: ethers' signTypedData does not take readonly ones). */
export const ATTESTATION_TYPES: Record<string, TypedDataField[]> = {
  MilestoneAttestation: MILESTONE_ATTESTATION_TYPES.MilestoneAttestation.map((field) => ({ ...field })),
};

export interface Attestation {
  commitmentId: bigint;
  milestoneIndex: bigint;
  rulesHash: string;
  evidenceHash: string;
  validUntil: bigint;
}

/** Signs a MilestoneAttestation for `vault` (its address and chain id) with `signer`. */
export async function signAttestation(
  signer: HardhatEthersSigner,
  vault: CommitmentVault,
  attestation: Attestation,
  chainId?: bigint,
): Promise<string> {
  if (!signer.provider) throw new Error("signer has no provider");
  const domain = {
    ...ATTESTATION_DOMAIN,
    chainId: chainId ?? (await signer.provider.getNetwork()).chainId,
    verifyingContract: await vault.getAddress(),
  };
  return signer.signTypedData(domain, ATTESTATION_TYPES, attestation);
}

/** Signatures by `signers`, ordered by signer address ascending as the vault requires. */
export async function signSorted(
  signers: readonly HardhatEthersSigner[],
  vault: CommitmentVault,
  attestation: Attestation,
): Promise<string[]> {
  const sorted = [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  return Promise.all(sorted.map((s) => signAttestation(s, vault, attestation)));
}

/** Sorts signers by address ascending. */
export function sortByAddress<T extends { address: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

/** Returns the high-s twin of a 65-byte signature (same signer under naive ecrecover). */
export function malleate(signature: string): string {
  const hex = signature.slice(2);
  const r = hex.slice(0, 64);
  const s = BigInt(`0x${hex.slice(64, 128)}`);
  const v = Number.parseInt(hex.slice(128, 130), 16);
  const sHigh = (SECP256K1_N - s).toString(16).padStart(64, "0");
  const vFlipped = (v === 27 ? 28 : 27).toString(16);
  return `0x${r}${sHigh}${vFlipped}`;
}

export interface VaultFixture {
  vault: CommitmentVault;
  usdc: NonNullable<Awaited<ReturnType<typeof deployVault>>["usdc"]>;
  admin: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  charity: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  oracles: HardhatEthersSigner[];
  outsider: HardhatEthersSigner;
}

/**
 * The standard fixture: the production deploy function with 3 oracles and a 2-of-3 quorum (oracle signers
 * sorted by address), a mock USDC allowlisted, and 1,000,000 USDC minted to alice and bob.
 */
export function makeVaultFixture(ethers: HardhatEthers, threshold = 2) {
  return async function vaultFixture(): Promise<VaultFixture> {
    const [admin, alice, bob, charity, keeper, o1, o2, o3, outsider] = await ethers.getSigners();
    if (!admin || !alice || !bob || !charity || !keeper || !o1 || !o2 || !o3 || !outsider) {
      throw new Error("the test network needs at least 9 accounts");
    }
    const oracles = sortByAddress([o1, o2, o3]);
    const { vault, usdc } = await deployVault(ethers, {
      admin: admin.address,
      oracles: oracles.map((o) => o.address),
      threshold,
      withMockUsdc: true,
    });
    if (!usdc) throw new Error("mock USDC was not deployed");
    for (const who of [alice, bob]) {
      await (await usdc.mint(who.address, 1_000_000n * 10n ** 6n)).wait();
    }
    return { vault, usdc, admin, alice, bob, charity, keeper, oracles, outsider };
  };
}

/** CommitmentParams with sensible defaults: 0.8 ETH over 8 weekly windows from `start`, 2 days of grace. */
export function params(
  start: number | bigint,
  beneficiary: string,
  overrides: Partial<{
    token: string;
    amount: bigint;
    start: bigint;
    period: number;
    milestones: number;
    grace: number;
    beneficiary: string;
    rulesHash: string;
  }> = {},
) {
  return {
    token: ZERO_ADDRESS,
    amount: 8n * 10n ** 17n,
    start: BigInt(start),
    period: WEEK,
    milestones: 8,
    grace: 2 * DAY,
    beneficiary,
    rulesHash: RULES_HASH,
    ...overrides,
  };
}

/** Latest block timestamp as a number. */
export async function now(networkHelpers: NetworkHelpers): Promise<number> {
  return networkHelpers.time.latest();
}
