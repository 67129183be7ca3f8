/**
 * Gas scenario for ChallengePool: an ETH and a USDC challenge of eight participants over eight weekly milestones
 * (six finish, two miss everything), measuring join (ETH, ERC-20 approved, permit), settleParticipant (finisher, out,
 * and the last one, which closes the challenge) and claimWinnings (the first claim pulls the pool's vault credits,
 * later ones pay from the pool's balance). Run through `npm run gas` (scripts/gas-report.ts), which also passes
 * --gas-stats. Writes the samples as JSON to $GAS_SAMPLES_OUT.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";
import { deployChallengePool } from "../../scripts/lib/deployChallengePool.js";
import { deployVault } from "../../scripts/lib/deployVault.js";
import { challengeParams, signPermit } from "../../test/helpers/pool.js";
import { DAY, EVIDENCE_HASH, RULES_HASH, signSorted, WEEK } from "../../test/helpers/vault.js";
import { GasSamples } from "./gasSamples.js";

const { ethers, networkHelpers } = await network.create();
const gas = new GasSamples();
/** Fixed clock: signed data (validUntil, permit deadlines) and so calldata bytes are identical on every run. */
const BASE_TIME = 2_000_000_000;
const MILESTONES = 8;
describe("gas scenario: ChallengePool", () => {
  after(() => gas.write());

  it("measures createChallenge, join, settleParticipant and claimWinnings", async () => {
    const signers = await ethers.getSigners();
    const [admin, keeper, oracle, feeRecipient, fallback] = signers;
    if (!admin || !keeper || !oracle || !feeRecipient || !fallback) throw new Error("need signers");
    const people = signers.slice(5, 13);
    const permitPeople = signers.slice(13, 17);
    const { vault, usdc } = await deployVault(ethers, {
      admin: admin.address,
      oracles: [oracle.address],
      threshold: 1,
      withMockUsdc: true,
    });
    if (!usdc) throw new Error("no usdc");
    const { pool } = await deployChallengePool(ethers, {
      vault: await vault.getAddress(),
      admin: admin.address,
    });
    const poolAddress = await pool.getAddress();
    const usdcAddress = await usdc.getAddress();
    for (const s of [...people, ...permitPeople]) {
      await (await usdc.mint(s.address, 10n ** 12n)).wait();
    }
    for (const s of people) await (await usdc.connect(s).approve(poolAddress, 2n ** 255n)).wait();
    await networkHelpers.time.increaseTo(BASE_TIME);

    const start = BASE_TIME + DAY;
    const f = { feeRecipient, fallback };
    const over = { milestones: MILESTONES, maxParticipants: 100 };
    await gas.measure(
      "createChallenge",
      pool.connect(admin).createChallenge(challengeParams(start, f, over)),
    );
    const usdcOver = { ...over, token: usdcAddress, stake: 800_000_000n };
    await gas.measure(
      "createChallenge",
      pool.connect(admin).createChallenge(challengeParams(start, f, usdcOver)),
    );
    // A warm-up join in each token so the samples measure the steady state (vault balances already non-zero).
    await (await pool.connect(admin).join(1, { value: 10n ** 18n })).wait();
    await (await usdc.mint(admin.address, 800_000_000n)).wait();
    await (await usdc.connect(admin).approve(poolAddress, 800_000_000n)).wait();
    await (await pool.connect(admin).join(2)).wait();

    for (const s of people) {
      await gas.measure("join (ETH)", pool.connect(s).join(1, { value: 10n ** 18n }));
      await gas.measure("join (ERC-20, approved)", pool.connect(s).join(2));
    }
    const deadline = BigInt(start);
    for (const s of permitPeople) {
      const sig = await signPermit(ethers, s, usdc, poolAddress, 800_000_000n, deadline);
      await gas.measure(
        "joinWithPermit (ERC-20)",
        pool.connect(s).joinWithPermit(2, deadline, sig.v, sig.r, sig.s),
      );
    }

    // Everyone but the last two people (and the warm-up joiner) claims every milestone; the rest is slashed.
    const finishers = [admin, ...people.slice(0, 6), ...permitPeople];
    const losers = people.slice(6);
    for (let i = 0; i < MILESTONES; i++) {
      await networkHelpers.time.increaseTo(start + i * WEEK);
      const validUntil = BigInt(start + (i + 1) * WEEK);
      for (const challengeId of [1n, 2n]) {
        for (const s of finishers as HardhatEthersSigner[]) {
          const id = await pool.commitmentOf(challengeId, s.address);
          if (id === 0n) continue;
          const sigs = await signSorted([oracle], vault, {
            commitmentId: id,
            milestoneIndex: BigInt(i),
            rulesHash: RULES_HASH,
            evidenceHash: EVIDENCE_HASH,
            validUntil,
          });
          await (await vault.connect(keeper).claimMilestone(id, i, EVIDENCE_HASH, validUntil, sigs)).wait();
        }
      }
    }
    await networkHelpers.time.increaseTo(start + MILESTONES * WEEK + 2 * DAY);
    for (const challengeId of [1n, 2n]) {
      for (const s of losers) {
        const id = await pool.commitmentOf(challengeId, s.address);
        for (let i = 0; i < MILESTONES; i++) await (await vault.connect(keeper).slash(id, i)).wait();
      }
    }

    for (const challengeId of [1n, 2n]) {
      for (const s of losers) {
        await gas.measure(
          "settleParticipant (8 milestones, out)",
          pool.connect(keeper).settleParticipant(challengeId, s),
        );
      }
      const joined = finishers.filter((_, k) => challengeId === 2n || k < 7);
      for (const [k, s] of joined.entries()) {
        const label =
          k === joined.length - 1
            ? "settleParticipant (8 milestones, last: closes the challenge)"
            : "settleParticipant (8 milestones, finisher)";
        await gas.measure(label, pool.connect(keeper).settleParticipant(challengeId, s));
      }
      const unit = challengeId === 1n ? "ETH" : "ERC-20";
      for (const [k, s] of joined.entries()) {
        const label =
          k === 0 ? `claimWinnings (${unit}, pulls the pool's vault credits)` : `claimWinnings (${unit})`;
        await gas.measure(label, pool.connect(s).claimWinnings(challengeId));
      }
    }
  });
});
