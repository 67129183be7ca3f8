/** Mirrors test/trees/claimMilestone.tree branch by branch. */
import { expect } from "chai";
import { network } from "hardhat";
import { ETH_BOND, ETH_SHARE, makeTreeFixture, quorum, State } from "../helpers/trees.js";
import { DAY, EVIDENCE_HASH, malleate, ZERO_ADDRESS } from "../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const treeFixture = makeTreeFixture(ethers, networkHelpers);

async function claim(f: Awaited<ReturnType<typeof treeFixture>>, id: bigint, index: number, sigs?: string[]) {
  const validUntil = (await time.latest()) + DAY;
  const signatures = sigs ?? (await quorum(f, id, index, validUntil));
  return f.vault.connect(f.keeper).claimMilestone(id, index, EVIDENCE_HASH, validUntil, signatures);
}

describe("claimMilestone", () => {
  it("when the vault is paused: it should revert with VaultPaused", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await time.increaseTo(f.start + 1);
    await f.vault.connect(f.admin).pause();
    await expect(claim(f, f.ethId, 0)).to.be.revertedWithCustomError(f.vault, "VaultPaused");
  });

  describe("when the vault is not paused", () => {
    it("when the commitment does not exist: it should revert with CommitmentNotFound", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await expect(claim(f, 7n, 0, []))
        .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
        .withArgs(7);
    });

    it("when the commitment is closed: it should revert with CommitmentClosed", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await f.vault.connect(f.alice).cancel(f.ethId);
      await expect(claim(f, f.ethId, 0))
        .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
        .withArgs(f.ethId);
    });

    it("when the index is out of range: it should revert with MilestoneOutOfRange", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await expect(claim(f, f.ethId, 8, []))
        .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
        .withArgs(f.ethId, 8, 8);
    });

    it("when the window has not opened: it should revert with WindowNotOpen", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await expect(claim(f, f.ethId, 1))
        .to.be.revertedWithCustomError(f.vault, "WindowNotOpen")
        .withArgs(f.ethId, 1, f.end(0));
    });

    describe("when the milestone is Open", () => {
      it("when the claim deadline has passed: it should revert with ClaimDeadlinePassed", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        await time.increaseTo(f.deadline(0));
        await expect(claim(f, f.ethId, 0))
          .to.be.revertedWithCustomError(f.vault, "ClaimDeadlinePassed")
          .withArgs(f.ethId, 0, f.deadline(0));
      });

      describe("when the claim deadline has not passed", () => {
        it("when the attestation has expired: it should revert with AttestationExpired", async () => {
          const f = await networkHelpers.loadFixture(treeFixture);
          await time.increaseTo(f.start + 10);
          const validUntil = f.start + 5;
          const sigs = await quorum(f, f.ethId, 0, validUntil);
          await time.setNextBlockTimestamp(f.start + 11);
          await expect(f.vault.claimMilestone(f.ethId, 0, EVIDENCE_HASH, validUntil, sigs))
            .to.be.revertedWithCustomError(f.vault, "AttestationExpired")
            .withArgs(validUntil, f.start + 11);
        });

        it("when there are fewer signatures than the threshold: it should revert with InsufficientSignatures", async () => {
          const f = await networkHelpers.loadFixture(treeFixture);
          await time.increaseTo(f.start + 1);
          const validUntil = f.start + DAY;
          const sigs = await quorum(f, f.ethId, 0, validUntil, 1);
          await expect(f.vault.claimMilestone(f.ethId, 0, EVIDENCE_HASH, validUntil, sigs))
            .to.be.revertedWithCustomError(f.vault, "InsufficientSignatures")
            .withArgs(1, 2);
        });

        it("when a signature is malformed: it should revert with InvalidSignature", async () => {
          const f = await networkHelpers.loadFixture(treeFixture);
          await time.increaseTo(f.start + 1);
          const validUntil = f.start + DAY;
          const [a, b] = await quorum(f, f.ethId, 0, validUntil);
          const high = malleate(b as string);
          await expect(f.vault.claimMilestone(f.ethId, 0, EVIDENCE_HASH, validUntil, [a as string, high]))
            .to.be.revertedWithCustomError(f.vault, "InvalidSignature")
            .withArgs(1, 3, ethers.dataSlice(high, 32, 64));
        });

        it("when the signers are not ascending: it should revert with SignersNotAscending", async () => {
          const f = await networkHelpers.loadFixture(treeFixture);
          await time.increaseTo(f.start + 1);
          const validUntil = f.start + DAY;
          const [a, b] = await quorum(f, f.ethId, 0, validUntil);
          const o = f.oracles;
          await expect(
            f.vault.claimMilestone(f.ethId, 0, EVIDENCE_HASH, validUntil, [b as string, a as string]),
          )
            .to.be.revertedWithCustomError(f.vault, "SignersNotAscending")
            .withArgs(1, o[0]?.address, o[1]?.address);
        });

        describe("when a signer is not an oracle", () => {
          it("given one signature: it should revert with SignerNotOracle", async () => {
            const f = await networkHelpers.loadFixture(treeFixture);
            await f.vault.connect(f.admin).setOracles(
              f.oracles.map((o) => o.address),
              1,
            );
            await time.increaseTo(f.start + 1);
            const validUntil = f.start + DAY;
            const { signAttestation } = await import("../helpers/vault.js");
            const sig = await signAttestation(f.bob, f.vault, {
              commitmentId: f.ethId,
              milestoneIndex: 0n,
              rulesHash: (await f.vault.getCommitment(f.ethId)).rulesHash,
              evidenceHash: EVIDENCE_HASH,
              validUntil: BigInt(validUntil),
            });
            await expect(f.vault.claimMilestone(f.ethId, 0, EVIDENCE_HASH, validUntil, [sig]))
              .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
              .withArgs(0, f.bob.address);
          });

          it("given two or more signatures: it should revert with SignerNotOracle", async () => {
            const f = await networkHelpers.loadFixture(treeFixture);
            await time.increaseTo(f.start + 1);
            const validUntil = f.start + DAY;
            const { signSorted } = await import("../helpers/vault.js");
            const signers = [f.oracles[0], f.bob].filter((s) => s !== undefined);
            const sigs = await signSorted(signers, f.vault, {
              commitmentId: f.ethId,
              milestoneIndex: 0n,
              rulesHash: (await f.vault.getCommitment(f.ethId)).rulesHash,
              evidenceHash: EVIDENCE_HASH,
              validUntil: BigInt(validUntil),
            });
            const sorted = [...signers].sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1));
            const position = sorted.findIndex((s) => s.address === f.bob.address);
            await expect(f.vault.claimMilestone(f.ethId, 0, EVIDENCE_HASH, validUntil, sigs))
              .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
              .withArgs(position, f.bob.address);
          });
        });

        describe("when the quorum is valid", () => {
          it("given the owner accepts the payout: it should mark the milestone Released, push the share to the owner and emit MilestoneReleased", async () => {
            const f = await networkHelpers.loadFixture(treeFixture);
            await time.increaseTo(f.deadline(0) - 2);
            const tx = claim(f, f.ethId, 0);
            await expect(tx)
              .to.emit(f.vault, "MilestoneReleased")
              .withArgs(f.ethId, 0, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
            await expect(tx).to.changeEtherBalance(ethers, f.alice, ETH_SHARE);
            expect(await f.vault.milestoneState(f.ethId, 0)).to.equal(State.Released);
          });

          it("given the owner rejects ETH: it should credit the share to the owner", async () => {
            const f = await networkHelpers.loadFixture(treeFixture);
            const rejecter = await ethers.deployContract("RevertingReceiver");
            const { params } = await import("../helpers/vault.js");
            const p = params(f.start, f.charity.address);
            // A gift: bob funds a commitment the rejecting contract owns.
            await f.vault.connect(f.bob).createCommitmentFor(rejecter, p, { value: p.amount });
            await time.increaseTo(f.start + 1);
            await expect(claim(f, 3n, 0))
              .to.emit(f.vault, "Credited")
              .withArgs(await rejecter.getAddress(), ZERO_ADDRESS, ETH_SHARE);
          });
        });
      });
    });

    it("when the milestone is Appealed: it should release even after the claim deadline and pay the share and the bond to the owner", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await time.increaseTo(f.end(0) + 1);
      await f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND });
      await time.increaseTo(f.deadline(0) + 5 * DAY);
      const tx = claim(f, f.ethId, 0);
      await expect(tx).to.changeEtherBalance(ethers, f.alice, ETH_SHARE + ETH_BOND);
      expect(await f.vault.milestoneState(f.ethId, 0)).to.equal(State.Released);
    });

    it("when the milestone is Released, Slashed or Refunded: it should revert with MilestoneNotOpen", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await time.increaseTo(f.start + 1);
      await claim(f, f.ethId, 0);
      await expect(claim(f, f.ethId, 0))
        .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
        .withArgs(f.ethId, 0, State.Released);
    });
  });
});
