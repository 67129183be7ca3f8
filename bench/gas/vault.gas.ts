/**
 * Gas scenario for CommitmentVault: the typical calls a production vault sees, each sampled several times
 * and labelled, so budgets can be checked per case (one signature vs. three, a beneficiary's first credit
 * vs. a later one). Run through `npm run gas` (scripts/gas-report.ts), which also passes --gas-stats.
 * Writes the samples as JSON to $GAS_SAMPLES_OUT.
 */
import { writeFileSync } from "node:fs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";
import { deployVault } from "../../scripts/lib/deployVault.js";
import type { CommitmentVault } from "../../types/ethers-contracts/index.js";
import { DAY, EVIDENCE_HASH, params, signSorted, sortByAddress, WEEK } from "../../test/helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const samples: Record<string, number[]> = {};
/** Fixed clock: signed data (start, validUntil) and so calldata bytes are identical on every run. */
const BASE_TIME = 2_000_000_000;

async function measure(label: string, tx: Promise<ContractTransactionResponse>): Promise<void> {
  const receipt = await (await tx).wait();
  if (receipt?.status !== 1) throw new Error(`${label}: transaction failed`);
  const list = samples[label] ?? [];
  list.push(Number(receipt.gasUsed));
  samples[label] = list;
}

describe("gas scenario: CommitmentVault", () => {
  after(() => {
    const out = process.env.GAS_SAMPLES_OUT;
    if (out) writeFileSync(out, `${JSON.stringify(samples, null, 2)}\n`);
  });

  it("measures create, claim (1..3 signatures), slash, cancel, withdraw and multicall", async () => {
    const signers = await ethers.getSigners();
    const [admin, keeper, o1, o2, o3] = signers;
    if (!admin || !keeper || !o1 || !o2 || !o3) throw new Error("need signers");
    const stakers = signers.slice(5, 13);
    const charities = signers.slice(13, 19);
    const oracles = sortByAddress([o1, o2, o3]);
    const { vault, usdc } = await deployVault(ethers, {
      admin: admin.address,
      oracles: oracles.map((o) => o.address),
      threshold: 1,
      withMockUsdc: true,
    });
    if (!usdc) throw new Error("no usdc");
    const usdcAddress = await usdc.getAddress();
    for (const s of stakers) {
      await (await usdc.mint(s.address, 10n ** 12n)).wait();
      await (await usdc.connect(s).approve(await vault.getAddress(), 2n ** 255n)).wait();
    }
    await networkHelpers.time.increaseTo(BASE_TIME);
    // A first deposit so that the ERC-20 samples measure the steady state (vault balance already non-zero).
    const warmStart = BASE_TIME + DAY;
    await (
      await vault
        .connect(stakers[0] as HardhatEthersSigner)
        .createCommitment(
          params(warmStart, charities[0]?.address as string, { token: usdcAddress, amount: 8_000_000n }),
        )
    ).wait();

    const start = BASE_TIME + DAY;
    const ethIds: bigint[] = [];
    const usdcIds: bigint[] = [];
    for (const [i, s] of stakers.entries()) {
      const beneficiary = charities[i % charities.length]?.address as string;
      const ethParams = params(start, beneficiary);
      await measure(
        "createCommitment (ETH)",
        vault.connect(s).createCommitment(ethParams, { value: ethParams.amount }),
      );
      ethIds.push(await vault.commitmentCount());
      const usdcParams = params(start, beneficiary, { token: usdcAddress, amount: 200_000_000n });
      await measure("createCommitment (ERC-20, approved)", vault.connect(s).createCommitment(usdcParams));
      usdcIds.push(await vault.commitmentCount());
    }
    // Permit path.
    for (const s of stakers.slice(0, 4)) {
      await (await usdc.connect(s).approve(await vault.getAddress(), 0)).wait();
      const p = params(start, charities[0]?.address as string, { token: usdcAddress, amount: 50_000_000n });
      const deadline = BigInt(start + WEEK);
      const sig = ethers.Signature.from(
        await s.signTypedData(
          { name: "USD Coin (local)", version: "1", chainId: 31337n, verifyingContract: usdcAddress },
          {
            Permit: [
              { name: "owner", type: "address" },
              { name: "spender", type: "address" },
              { name: "value", type: "uint256" },
              { name: "nonce", type: "uint256" },
              { name: "deadline", type: "uint256" },
            ],
          },
          {
            owner: s.address,
            spender: await vault.getAddress(),
            value: p.amount,
            nonce: await usdc.nonces(s.address),
            deadline,
          },
        ),
      );
      await measure(
        "createCommitmentWithPermit",
        vault.connect(s).createCommitmentWithPermit(p, deadline, sig.v, sig.r, sig.s),
      );
    }

    const claim = async (label: string, v: CommitmentVault, id: bigint, index: bigint, quorum: number) => {
      const validUntil = BigInt(start + (Number(index) + 1) * WEEK);
      const p = await v.getCommitment(id);
      const sigs = await signSorted(oracles.slice(0, quorum), v, {
        commitmentId: id,
        milestoneIndex: index,
        rulesHash: p.rulesHash,
        evidenceHash: EVIDENCE_HASH,
        validUntil,
      });
      await measure(label, v.connect(keeper).claimMilestone(id, index, EVIDENCE_HASH, validUntil, sigs));
    };
    // Threshold 1, 2 and 3 on the same vault (only the quorum changes between rounds); round k claims
    // milestone k, once its window has opened.
    await networkHelpers.time.increaseTo(start + 1);
    for (const id of ethIds) await claim("claimMilestone (ETH, 1 signature)", vault, id, 0n, 1);
    for (const id of usdcIds) await claim("claimMilestone (ERC-20, 1 signature)", vault, id, 0n, 1);
    await (
      await vault.setOracles(
        oracles.map((o) => o.address),
        2,
      )
    ).wait();
    await networkHelpers.time.increaseTo(start + WEEK + 1);
    for (const id of ethIds) await claim("claimMilestone (ETH, 2 signatures)", vault, id, 1n, 2);
    await (
      await vault.setOracles(
        oracles.map((o) => o.address),
        3,
      )
    ).wait();
    await networkHelpers.time.increaseTo(start + 2 * WEEK + 1);
    for (const id of ethIds) await claim("claimMilestone (ETH, 3 signatures)", vault, id, 2n, 3);

    // Slashes: milestone 3 of every commitment misses its deadline. Charities 0..5 get their first credit on
    // their first slash (per token), later slashes add to an existing credit.
    const fourthDeadline = Number(await vault.claimDeadline(ethIds[0] as bigint, 3n));
    await networkHelpers.time.increaseTo(fourthDeadline);
    const credited = new Set<string>();
    for (const id of [...ethIds, ...usdcIds]) {
      const c = await vault.getCommitment(id);
      const key = `${c.beneficiary}:${c.token}`;
      const asset = c.token === ethers.ZeroAddress ? "ETH" : "ERC-20";
      const label = `slash (${asset}, ${credited.has(key) ? "later" : "first"} credit)`;
      credited.add(key);
      await measure(label, vault.connect(keeper).slash(id, 3n));
    }
    // A keeper batch of three slashes in one transaction.
    const batch = ethIds.slice(0, 3).map((id) => vault.interface.encodeFunctionData("slash", [id, 4n]));
    await networkHelpers.time.increaseTo(Number(await vault.claimDeadline(ethIds[0] as bigint, 4n)));
    await measure("multicall (3 slashes)", vault.connect(keeper).multicall(batch));

    for (const c of charities) {
      await measure("withdraw (ETH)", vault.connect(c).withdraw(ethers.ZeroAddress));
    }
    // v2: appeals (bond posted, then upheld by the arbiter or expired), exit after 30 days paused, gifts.
    await (await vault.grantRole(await vault.ARBITER_ROLE(), keeper.address)).wait();
    const appealIndex = 5n;
    await networkHelpers.time.increaseTo(start + 6 * WEEK + 1);
    for (const [k, id] of ethIds.entries()) {
      const owner = stakers[k] as HardhatEthersSigner;
      const bond = await vault.appealBond(id, appealIndex);
      await measure("appeal (ETH)", vault.connect(owner).appeal(id, appealIndex, { value: bond }));
    }
    for (const s of stakers) {
      await (await usdc.connect(s).approve(await vault.getAddress(), 2n ** 255n)).wait();
    }
    for (const [k, id] of usdcIds.entries()) {
      await measure(
        "appeal (ERC-20)",
        vault.connect(stakers[k] as HardhatEthersSigner).appeal(id, appealIndex),
      );
    }
    for (const id of ethIds.slice(0, 4)) {
      await measure(
        "resolveAppeal (upheld, ETH)",
        vault.connect(keeper).resolveAppeal(id, appealIndex, true),
      );
    }
    for (const id of ethIds.slice(4, 8)) {
      await measure(
        "resolveAppeal (rejected, ETH)",
        vault.connect(keeper).resolveAppeal(id, appealIndex, false),
      );
    }
    await networkHelpers.time.increase(15 * DAY);
    for (const id of usdcIds.slice(0, 4)) {
      await measure("expireAppeal (ERC-20)", vault.connect(keeper).expireAppeal(id, appealIndex));
    }
    for (const [k, s] of stakers.slice(0, 4).entries()) {
      const p = params(BigInt(await networkHelpers.time.latest()) + 100n, charities[k]?.address as string);
      await measure(
        "createCommitmentFor (ETH)",
        vault.connect(keeper).createCommitmentFor(s.address, p, { value: p.amount }),
      );
    }
    await measure("pause", vault.pause());
    await networkHelpers.time.increase(30 * DAY);
    for (const id of usdcIds.slice(4, 8)) {
      await measure("exit (ERC-20, 8 milestones)", vault.connect(keeper).exit(id));
    }
    await measure("unpause", vault.unpause());

    // The alternative design, measured in the same run: an EAS-style attestation per milestone whose resolver
    // releases the share (contracts/mocks/EASLikeAttestationMock.sol).
    const registry = await ethers.deployContract("MockSchemaRegistry");
    const eas = await ethers.deployContract("MockEAS", [await registry.getAddress()]);
    const owner = stakers[0] as HardhatEthersSigner;
    const easShare = 10n ** 17n;
    const resolver = await ethers.deployContract(
      "MockMilestoneResolver",
      [await eas.getAddress(), o1.address, owner.address, easShare],
      { value: 8n * easShare },
    );
    await (
      await registry.register(
        "uint256 commitmentId,uint256 milestoneIndex",
        await resolver.getAddress(),
        false,
      )
    ).wait();
    const schema = ethers.solidityPackedKeccak256(
      ["string", "address", "bool"],
      ["uint256 commitmentId,uint256 milestoneIndex", await resolver.getAddress(), false],
    );
    for (let i = 0; i < 8; i++) {
      const data = ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [1, i]);
      await measure(
        "EAS attestation + resolver release (per milestone)",
        eas.connect(o1).attest({
          schema,
          data: {
            recipient: owner.address,
            expirationTime: 0,
            revocable: false,
            refUID: ethers.ZeroHash,
            data,
            value: 0,
          },
        }),
      );
    }

    // Cancel before start.
    const later = (await networkHelpers.time.latest()) + 20 * WEEK;
    for (const s of stakers.slice(0, 4)) {
      const p = params(later, charities[0]?.address as string);
      await (await vault.connect(s).createCommitment(p, { value: p.amount })).wait();
      await measure("cancel (ETH)", vault.connect(s).cancel(await vault.commitmentCount()));
    }
  });
});
