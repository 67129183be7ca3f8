/**
 * The shared vocabulary (packages/vocabulary) against the deployed vault: the share and appeal-bond formulas
 * the agent and the web app show give exactly `milestoneAmount` and `appealBond`, rounding included, and the
 * limits it exports are the ones `createCommitment` enforces at its edges.
 */
import {
  appealBondOf,
  MAX_MILESTONES,
  MAX_PERIOD_SECONDS,
  MIN_PERIOD_SECONDS,
  milestoneSharesOf,
} from "@resolution-autopilot/vocabulary";
import { expect } from "chai";
import { network } from "hardhat";
import { DAY, makeVaultFixture, params } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const vaultFixture = makeVaultFixture(ethers);

/** Stakes whose division rounds (or not), down to shares of 0 and up to the largest count and amount. */
const CASES: [amount: bigint, milestones: number][] = [
  [100n, 3],
  [8n * 10n ** 17n, 8],
  [3n, 4],
  [999_999_999_999n, 104],
  [2n ** 70n + 7n, 13],
];

describe("vocabulary against the vault", () => {
  it("milestoneSharesOf and appealBondOf equal milestoneAmount and appealBond", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await networkHelpers.time.latest()) + DAY;
    for (const [i, [amount, milestones]] of CASES.entries()) {
      const p = params(start, f.charity.address, { amount, milestones, period: 3600 });
      await (await f.vault.connect(f.alice).createCommitment(p, { value: amount })).wait();
      const id = i + 1;
      const expected = milestoneSharesOf(amount, milestones);
      for (let index = 0; index < milestones; index += 1) {
        expect(await f.vault.milestoneAmount(id, index)).to.equal(expected[index]);
        expect(await f.vault.appealBond(id, index)).to.equal(appealBondOf(expected[index] ?? 0n));
      }
    }
  });

  it("accepts the limits it exports and rejects one past them", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await networkHelpers.time.latest()) + DAY;
    const create = (overrides: { milestones?: number; period?: number }) => {
      const p = params(start, f.charity.address, { amount: 1000n, ...overrides });
      return f.vault.connect(f.alice).createCommitment(p, { value: 1000n });
    };
    await (await create({ milestones: MAX_MILESTONES, period: MIN_PERIOD_SECONDS })).wait();
    await (await create({ milestones: 1, period: MAX_PERIOD_SECONDS })).wait();
    await expect(create({ milestones: MAX_MILESTONES + 1 }))
      .to.be.revertedWithCustomError(f.vault, "InvalidMilestoneCount")
      .withArgs(MAX_MILESTONES + 1);
    await expect(create({ period: MIN_PERIOD_SECONDS - 1 }))
      .to.be.revertedWithCustomError(f.vault, "InvalidPeriod")
      .withArgs(MIN_PERIOD_SECONDS - 1);
    await expect(create({ period: MAX_PERIOD_SECONDS + 1 }))
      .to.be.revertedWithCustomError(f.vault, "InvalidPeriod")
      .withArgs(MAX_PERIOD_SECONDS + 1);
  });
});
