/**
 * The agent's signing code against the real vault: the rules hash the agent computes is what a commitment
 * stores, the digest the agent signs is what hashAttestation returns, and the signature it produces is
 * accepted by claimMilestone. If the agent and the contract ever disagree, this fails.
 */
import { expect } from "chai";
import { network } from "hardhat";
import type { Address, Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { evidenceHash, signMilestoneAttestation } from "../../agent/src/attestation/milestoneAttestation.ts";
import { privateKeySigner } from "../../agent/src/attestation/signer.ts";
import { canonicalizeRules } from "../../agent/src/rules/rulesDocument.ts";
import { DAY, makeVaultFixture, params } from "../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const vaultFixture = makeVaultFixture(ethers);

describe("agent attestation on chain", () => {
  it("signs attestations the vault accepts, over the rules hash the agent computed", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const oracle = privateKeySigner(generatePrivateKey());
    await (await f.vault.connect(f.admin).setOracles([oracle.address], 1)).wait();

    const { rulesHash } = canonicalizeRules({
      version: 1,
      timezone: "Europe/Berlin",
      perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
      evidence: "device",
    });
    const start = (await networkHelpers.time.latest()) + DAY;
    const p = params(start, f.charity.address, { rulesHash });
    await (await f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).wait();
    expect((await f.vault.getCommitment(1)).rulesHash).to.equal(rulesHash);

    await networkHelpers.time.increaseTo(start + 1);
    const evidence = evidenceHash([`0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`] as Hex[]);
    const validUntil = BigInt(start + DAY);
    const signed = await signMilestoneAttestation(oracle, {
      chainId: Number((await ethers.provider.getNetwork()).chainId),
      vault: (await f.vault.getAddress()) as Address,
      commitmentId: 1n,
      milestoneIndex: 0n,
      rulesHash,
      evidenceHash: evidence,
      validUntil,
    });
    expect(await f.vault.hashAttestation(1, 0, evidence, validUntil)).to.equal(signed.digest);

    const share = await f.vault.milestoneAmount(1, 0);
    await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, evidence, validUntil, [signed.signature]))
      .to.emit(f.vault, "MilestoneReleased")
      .withArgs(1, 0, f.alice.address, share, evidence);
  });
});
