import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { Signature } from "ethers";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { deployChallengePool } from "../../scripts/lib/deployChallengePool.js";
import type { ChallengePool, MockERC20Permit } from "../../types/ethers-contracts/index.js";
import {
  DAY,
  EVIDENCE_HASH,
  makeVaultFixture,
  RULES_HASH,
  signSorted,
  type VaultFixture,
  WEEK,
  ZERO_ADDRESS,
} from "./vault.js";

/** Participant status enum values. */
export const NONE = 0n;
export const JOINED = 1n;
export const OUT = 2n;
export const FINISHED = 3n;
export const CLAIMED = 4n;

export const ETH_STAKE = 10n ** 18n;
export const USDC_STAKE = 100_000_000n; // 100 USDC

export interface PoolFixture extends VaultFixture {
  pool: ChallengePool;
  /** Participants beyond alice and bob, funded with USDC. */
  carol: HardhatEthersSigner;
  dave: HardhatEthersSigner;
  erin: HardhatEthersSigner;
  feeRecipient: HardhatEthersSigner;
  fallback: HardhatEthersSigner;
}

export type ChallengeParamsInput = {
  token: string;
  stake: bigint;
  start: bigint;
  period: number;
  milestones: number;
  grace: number;
  rulesHash: string;
  joinDeadline: bigint;
  maxParticipants: number;
  feeBps: number;
  feeRecipient: string;
  fallbackBeneficiary: string;
};

/** The vault fixture (2-of-3 oracles, mock USDC) plus the pool from the shared deploy routine. */
export function makePoolFixture(ethers: HardhatEthers) {
  const vaultFixture = makeVaultFixture(ethers);
  return async function poolFixture(): Promise<PoolFixture> {
    const f = await vaultFixture();
    const signers = await ethers.getSigners();
    const [carol, dave, erin, feeRecipient, fallback] = signers.slice(9, 14);
    if (!carol || !dave || !erin || !feeRecipient || !fallback) throw new Error("need 14 accounts");
    const { pool } = await deployChallengePool(ethers, {
      vault: await f.vault.getAddress(),
      admin: f.admin.address,
    });
    for (const who of [carol, dave, erin]) {
      await (await f.usdc.mint(who.address, 1_000_000n * 10n ** 6n)).wait();
    }
    return { ...f, pool, carol, dave, erin, feeRecipient, fallback };
  };
}

/** ChallengeParams: 1 ETH stake, 2 weekly milestones from `start`, 1 day of grace, joins until `start`, 5 % fee. */
export function challengeParams(
  start: number | bigint,
  f: Pick<PoolFixture, "feeRecipient" | "fallback">,
  overrides: Partial<ChallengeParamsInput> = {},
): ChallengeParamsInput {
  return {
    token: ZERO_ADDRESS,
    stake: ETH_STAKE,
    start: BigInt(start),
    period: WEEK,
    milestones: 2,
    grace: DAY,
    rulesHash: RULES_HASH,
    joinDeadline: BigInt(start),
    maxParticipants: 10,
    feeBps: 500,
    feeRecipient: f.feeRecipient.address,
    fallbackBeneficiary: f.fallback.address,
    ...overrides,
  };
}

/** Claims milestone `index` of commitment `id` with a 2-of-3 attestation (submitted by the keeper). */
export async function claim(f: VaultFixture, networkHelpers: NetworkHelpers, id: bigint, index: number) {
  const validUntil = BigInt((await networkHelpers.time.latest()) + DAY);
  const sigs = await signSorted(f.oracles.slice(0, 2), f.vault, {
    commitmentId: id,
    milestoneIndex: BigInt(index),
    rulesHash: RULES_HASH,
    evidenceHash: EVIDENCE_HASH,
    validUntil,
  });
  return (await f.vault.connect(f.keeper).claimMilestone(id, index, EVIDENCE_HASH, validUntil, sigs)).wait();
}

/**
 * Plays a challenge out: `outcomes` maps each participant to one letter per milestone, "R" (claimed, Released)
 * or "S" (missed, slashed once its deadline passed) or "-" (left as it is); an optional third element names another
 * challenge with the same schedule. Ends after the last claim deadline.
 */
export async function playOut(
  f: PoolFixture,
  networkHelpers: NetworkHelpers,
  challengeId: bigint,
  outcomes: ReadonlyArray<readonly [{ address: string }, string, bigint?]>,
) {
  const [p] = await f.pool.challenge(challengeId);
  const start = Number(p.start);
  const period = Number(p.period);
  const milestones = Number(p.milestones);
  const ids = await Promise.all(
    outcomes.map(([who, , other]) => f.pool.commitmentOf(other ?? challengeId, who.address)),
  );
  for (let i = 0; i < milestones; i++) {
    const opens = start + i * period;
    if ((await networkHelpers.time.latest()) < opens) await networkHelpers.time.increaseTo(opens);
    for (const [k, [, letters]] of outcomes.entries()) {
      if (letters[i] === "R") await claim(f, networkHelpers, ids[k] as bigint, i);
    }
  }
  const lastDeadline = start + milestones * period + Number(p.grace);
  if ((await networkHelpers.time.latest()) < lastDeadline) await networkHelpers.time.increaseTo(lastDeadline);
  for (const [k, [, letters]] of outcomes.entries()) {
    for (let i = 0; i < milestones; i++) {
      if (letters[i] === "S") await (await f.vault.connect(f.keeper).slash(ids[k] as bigint, i)).wait();
    }
  }
}

/** An EIP-2612 permit of the mock USDC by `signer` for `spender`. */
export async function signPermit(
  ethers: HardhatEthers,
  signer: HardhatEthersSigner,
  token: MockERC20Permit,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<Signature> {
  const { chainId } = await ethers.provider.getNetwork();
  const domain = {
    name: "USD Coin (local)",
    version: "1",
    chainId,
    verifyingContract: await token.getAddress(),
  };
  const types = {
    Permit: [
      { name: "owner", type: "address" },
      { name: "spender", type: "address" },
      { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint256" },
    ],
  };
  const nonce = await token.nonces(signer.address);
  const raw = await signer.signTypedData(domain, types, {
    owner: signer.address,
    spender,
    value,
    nonce,
    deadline,
  });
  return ethers.Signature.from(raw);
}
