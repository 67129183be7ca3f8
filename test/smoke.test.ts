import { expect } from "chai";
import { network } from "hardhat";
import { makeVaultFixture, params, signSorted, EVIDENCE_HASH, DAY, WEEK } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

describe("smoke", () => {
  it("creates, claims and slashes", async () => {
    const f = await networkHelpers.loadFixture(makeVaultFixture(ethers));
    const start = (await networkHelpers.time.latest()) + DAY;
    const p = params(start, f.charity.address);
    await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).to.emit(
      f.vault,
      "CommitmentCreated",
    );
    await networkHelpers.time.increaseTo(start + 1);
    const validUntil = BigInt(start + DAY);
    const sigs = await signSorted(f.oracles.slice(0, 2), f.vault, {
      commitmentId: 1n,
      milestoneIndex: 0n,
      rulesHash: p.rulesHash,
      evidenceHash: EVIDENCE_HASH,
      validUntil,
    });
    await expect(f.vault.claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs)).to.changeEtherBalance(
      ethers,
      f.alice,
      10n ** 17n,
    );
    await networkHelpers.time.increaseTo(start + 2 * WEEK + 2 * DAY);
    await expect(f.vault.slash(1, 1))
      .to.emit(f.vault, "MilestoneSlashed")
      .withArgs(1, 1, f.charity.address, 10n ** 17n);
    expect(await f.vault.credits(f.charity.address, ethers.ZeroAddress)).to.equal(10n ** 17n);
  });
});
