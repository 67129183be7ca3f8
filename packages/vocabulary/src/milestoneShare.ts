/**
 * The money arithmetic of a commitment exactly as the vault's `Schedule.share` and `appealBond` compute it:
 * each milestone's share is `amount / milestones` (rounded down) and the last one takes the remainder, so the
 * shares always sum to `amount`; an appeal bond is a tenth of the share, at least 1 unit.
 */

/** Share of milestone `index` (0-based) of a stake of `amount` split into `milestones`. */
export function milestoneShareOf(amount: bigint, milestones: number, index: number): bigint {
  const count = BigInt(milestones);
  const each = amount / count;
  return index === milestones - 1 ? amount - each * (count - 1n) : each;
}

/** Every milestone's share, in order; empty when `milestones` is not a whole number from 1 up. */
export function milestoneSharesOf(amount: bigint, milestones: number): bigint[] {
  if (!Number.isInteger(milestones) || milestones < 1) return [];
  return Array.from({ length: milestones }, (_, index) => milestoneShareOf(amount, milestones, index));
}

/** `appealBond(id, index)` (v2): a tenth of the milestone's share, at least 1 unit. */
export function appealBondOf(share: bigint): bigint {
  const bond = share / 10n;
  return bond === 0n ? 1n : bond;
}
