import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import {
  DAY,
  EVIDENCE_HASH,
  makeVaultFixture,
  params,
  signSorted,
  type VaultFixture,
  WEEK,
} from "./vault.js";

/** Milestone states as the vault's enum numbers them. */
export const State = { Open: 0n, Released: 1n, Slashed: 2n, Refunded: 3n, Appealed: 4n } as const;
export const GRACE = 2 * DAY;
/** The ETH commitment: 0.8 ETH over 8 weekly windows; share 0.1 ETH, bond 0.01 ETH. */
export const ETH_SHARE = 10n ** 17n;
export const ETH_BOND = 10n ** 16n;
/** The USDC commitment: 200 USDC over 8 windows; share 25 USDC, bond 2.5 USDC. */
export const USDC_STAKE = 200n * 10n ** 6n;
export const USDC_SHARE = 25n * 10n ** 6n;
export const USDC_BOND = 25n * 10n ** 5n;

export interface TreeFixture extends VaultFixture {
  start: number;
  /** ETH commitment of alice. */
  ethId: bigint;
  /** USDC commitment of alice (approved for bonds too). */
  usdcId: bigint;
  arbiter: HardhatEthersSigner;
  end: (index: number) => number;
  deadline: (index: number) => number;
}

/** Alice stakes ETH (id 1) and USDC (id 2) from one day ahead; `outsider` is granted ARBITER_ROLE. */
export function makeTreeFixture(ethers: HardhatEthers, networkHelpers: NetworkHelpers) {
  const base = makeVaultFixture(ethers);
  return async function treeFixture(): Promise<TreeFixture> {
    const f = await base();
    const start = (await networkHelpers.time.latest()) + DAY;
    const p = params(start, f.charity.address, { grace: GRACE });
    await (await f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).wait();
    const usdc = params(start, f.charity.address, {
      grace: GRACE,
      token: await f.usdc.getAddress(),
      amount: USDC_STAKE,
    });
    await (await f.usdc.connect(f.alice).approve(f.vault, 2n ** 255n)).wait();
    await (await f.vault.connect(f.alice).createCommitment(usdc)).wait();
    await (await f.vault.connect(f.admin).grantRole(await f.vault.ARBITER_ROLE(), f.outsider)).wait();
    return {
      ...f,
      start,
      ethId: 1n,
      usdcId: 2n,
      arbiter: f.outsider,
      end: (i: number) => start + (i + 1) * WEEK,
      deadline: (i: number) => start + (i + 1) * WEEK + GRACE,
    };
  };
}

/** A 2-of-3 quorum over (id, index) valid until `validUntil`. */
export async function quorum(f: VaultFixture, id: bigint, index: number, validUntil: number, signers = 2) {
  return signSorted(f.oracles.slice(0, signers), f.vault, {
    commitmentId: id,
    milestoneIndex: BigInt(index),
    rulesHash: (await f.vault.getCommitment(id)).rulesHash,
    evidenceHash: EVIDENCE_HASH,
    validUntil: BigInt(validUntil),
  });
}
