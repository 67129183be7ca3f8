/**
 * Gas scenario for CommitmentVault: the typical calls a production vault sees, each sampled several times
 * and labelled, so budgets can be checked per case (one signature vs. three, a beneficiary's first credit
 * vs. a later one). Run through `npm run gas` (scripts/gas-report.ts), which also passes --gas-stats.
 * Writes the samples as JSON to $GAS_SAMPLES_OUT.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";
import { deployVault } from "../../scripts/lib/deployVault.js";
import { signPermit } from "../../test/helpers/pool.js";
import { DAY, EVIDENCE_HASH, params, signSorted, sortByAddress, WEEK } from "../../test/helpers/vault.js";
import type { CommitmentVault, MockERC20Permit } from "../../types/ethers-contracts/index.js";
import { GasSamples } from "./gasSamples.js";

const { ethers, networkHelpers } = await network.create();
const gas = new GasSamples();
/** Fixed clock: signed data (start, validUntil) and so calldata bytes are identical on every run. */
const BASE_TIME = 2_000_000_000;
/** Every measured commitment starts a day after the fixed clock. */
const START = BASE_TIME + DAY;
/** The milestone the appeals are about (after the claims' and slashes' milestones). */
const APPEAL_INDEX = 5n;

/** The deployed vault and the people of the scenario. */
interface Scenario {
  vault: CommitmentVault;
  usdc: MockERC20Permit;
  usdcAddress: string;
  admin: HardhatEthersSigner;
  /** Sends claims, slashes and the arbiter's decisions. */
  keeper: HardhatEthersSigner;
  /** Three oracles, sorted by address (as the vault wants their signatures). */
  oracles: HardhatEthersSigner[];
  /** The first oracle by signer index: the EAS comparison's attester. */
  attester: HardhatEthersSigner;
  /** Eight stakers, each with USDC approved to the vault. */
  stakers: HardhatEthersSigner[];
  /** Six beneficiaries. */
  charities: HardhatEthersSigner[];
}

/** The ids of the commitments measured: one in ETH and one in USDC per staker. */
interface Commitments {
  eth: bigint[];
  usdc: bigint[];
}

describe("gas scenario: CommitmentVault", () => {
  after(() => gas.write());

  it("measures create, claim (1..3 signatures), slash, cancel, withdraw and multicall", async () => {
    const scenario = await setUp();
    const ids = await measureCreates(scenario);
    await measurePermitCreates(scenario);
    await measureClaims(scenario, ids);
    await measureSlashes(scenario, ids);
    for (const c of scenario.charities) {
      await gas.measure("withdraw (ETH)", scenario.vault.connect(c).withdraw(ethers.ZeroAddress));
    }
    await measureAppeals(scenario, ids);
    await measureCreateForAndPausedExit(scenario, ids);
    await measureEasAlternative(scenario);
    await measureCancel(scenario);
  });
});

function beneficiary({ charities }: Scenario, k: number): string {
  return charities[k % charities.length]?.address as string;
}

/** Deploys the vault (threshold 1) with the mock USDC, funds the stakers, and makes a first ERC-20 deposit. */
async function setUp(): Promise<Scenario> {
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
  const scenario = { vault, usdc, usdcAddress, admin, keeper, oracles, attester: o1, stakers, charities };
  // A first deposit so that the ERC-20 samples measure the steady state (vault balance already non-zero).
  await (
    await vault
      .connect(stakers[0] as HardhatEthersSigner)
      .createCommitment(params(START, beneficiary(scenario, 0), { token: usdcAddress, amount: 8_000_000n }))
  ).wait();
  return scenario;
}

async function measureCreates(scenario: Scenario): Promise<Commitments> {
  const { vault, usdcAddress, stakers } = scenario;
  const ids: Commitments = { eth: [], usdc: [] };
  for (const [i, s] of stakers.entries()) {
    const ethParams = params(START, beneficiary(scenario, i));
    await gas.measure(
      "createCommitment (ETH)",
      vault.connect(s).createCommitment(ethParams, { value: ethParams.amount }),
    );
    ids.eth.push(await vault.commitmentCount());
    const usdcParams = params(START, beneficiary(scenario, i), { token: usdcAddress, amount: 200_000_000n });
    await gas.measure("createCommitment (ERC-20, approved)", vault.connect(s).createCommitment(usdcParams));
    ids.usdc.push(await vault.commitmentCount());
  }
  return ids;
}

/** The permit path: four stakers drop their approval and sign an EIP-2612 permit instead. */
async function measurePermitCreates(scenario: Scenario): Promise<void> {
  const { vault, usdc, usdcAddress, stakers } = scenario;
  const vaultAddress = await vault.getAddress();
  for (const s of stakers.slice(0, 4)) {
    await (await usdc.connect(s).approve(vaultAddress, 0)).wait();
    const p = params(START, beneficiary(scenario, 0), { token: usdcAddress, amount: 50_000_000n });
    const deadline = BigInt(START + WEEK);
    const sig = await signPermit(ethers, s, usdc, vaultAddress, p.amount, deadline);
    await gas.measure(
      "createCommitmentWithPermit",
      vault.connect(s).createCommitmentWithPermit(p, deadline, sig.v, sig.r, sig.s),
    );
  }
}

/** Claims milestone `index` of commitment `id` with `quorum` oracle signatures, sent by the keeper. */
async function claim(
  { vault, keeper, oracles }: Scenario,
  label: string,
  id: bigint,
  index: bigint,
  quorum: number,
): Promise<void> {
  const validUntil = BigInt(START + (Number(index) + 1) * WEEK);
  const p = await vault.getCommitment(id);
  const sigs = await signSorted(oracles.slice(0, quorum), vault, {
    commitmentId: id,
    milestoneIndex: index,
    rulesHash: p.rulesHash,
    evidenceHash: EVIDENCE_HASH,
    validUntil,
  });
  await gas.measure(label, vault.connect(keeper).claimMilestone(id, index, EVIDENCE_HASH, validUntil, sigs));
}

/**
 * Threshold 1, 2 and 3 on the same vault (only the quorum changes between rounds); round k claims milestone k,
 * once its window has opened.
 */
async function measureClaims(scenario: Scenario, ids: Commitments): Promise<void> {
  const { vault, oracles } = scenario;
  await networkHelpers.time.increaseTo(START + 1);
  for (const id of ids.eth) await claim(scenario, "claimMilestone (ETH, 1 signature)", id, 0n, 1);
  for (const id of ids.usdc) await claim(scenario, "claimMilestone (ERC-20, 1 signature)", id, 0n, 1);
  for (const quorum of [2, 3]) {
    await (
      await vault.setOracles(
        oracles.map((o) => o.address),
        quorum,
      )
    ).wait();
    await networkHelpers.time.increaseTo(START + (quorum - 1) * WEEK + 1);
    const label = `claimMilestone (ETH, ${quorum} signatures)`;
    for (const id of ids.eth) await claim(scenario, label, id, BigInt(quorum - 1), quorum);
  }
}

/**
 * Milestone 3 of every commitment misses its deadline. Charities 0..5 get their first credit on their first slash
 * (per token), later slashes add to an existing credit. Then a keeper batch of three slashes in one transaction.
 */
async function measureSlashes({ vault, keeper }: Scenario, ids: Commitments): Promise<void> {
  const fourthDeadline = Number(await vault.claimDeadline(ids.eth[0] as bigint, 3n));
  await networkHelpers.time.increaseTo(fourthDeadline);
  const credited = new Set<string>();
  for (const id of [...ids.eth, ...ids.usdc]) {
    const c = await vault.getCommitment(id);
    const key = `${c.beneficiary}:${c.token}`;
    const asset = c.token === ethers.ZeroAddress ? "ETH" : "ERC-20";
    const label = `slash (${asset}, ${credited.has(key) ? "later" : "first"} credit)`;
    credited.add(key);
    await gas.measure(label, vault.connect(keeper).slash(id, 3n));
  }
  const batch = ids.eth.slice(0, 3).map((id) => vault.interface.encodeFunctionData("slash", [id, 4n]));
  await networkHelpers.time.increaseTo(Number(await vault.claimDeadline(ids.eth[0] as bigint, 4n)));
  await gas.measure("multicall (3 slashes)", vault.connect(keeper).multicall(batch));
}

/** v2 appeals: a bond posted (ETH, ERC-20), then upheld or rejected by the arbiter, or expired. */
async function measureAppeals({ vault, usdc, keeper, stakers }: Scenario, ids: Commitments): Promise<void> {
  await (await vault.grantRole(await vault.ARBITER_ROLE(), keeper.address)).wait();
  await networkHelpers.time.increaseTo(START + 6 * WEEK + 1);
  for (const [k, id] of ids.eth.entries()) {
    const owner = stakers[k] as HardhatEthersSigner;
    const bond = await vault.appealBond(id, APPEAL_INDEX);
    await gas.measure("appeal (ETH)", vault.connect(owner).appeal(id, APPEAL_INDEX, { value: bond }));
  }
  for (const s of stakers) {
    await (await usdc.connect(s).approve(await vault.getAddress(), 2n ** 255n)).wait();
  }
  for (const [k, id] of ids.usdc.entries()) {
    await gas.measure(
      "appeal (ERC-20)",
      vault.connect(stakers[k] as HardhatEthersSigner).appeal(id, APPEAL_INDEX),
    );
  }
  for (const id of ids.eth.slice(0, 4)) {
    await gas.measure(
      "resolveAppeal (upheld, ETH)",
      vault.connect(keeper).resolveAppeal(id, APPEAL_INDEX, true),
    );
  }
  for (const id of ids.eth.slice(4, 8)) {
    await gas.measure(
      "resolveAppeal (rejected, ETH)",
      vault.connect(keeper).resolveAppeal(id, APPEAL_INDEX, false),
    );
  }
  await networkHelpers.time.increase(15 * DAY);
  for (const id of ids.usdc.slice(0, 4)) {
    await gas.measure("expireAppeal (ERC-20)", vault.connect(keeper).expireAppeal(id, APPEAL_INDEX));
  }
}

/** v2 gifts (a commitment created for someone else), then exit after 30 days paused. */
async function measureCreateForAndPausedExit(scenario: Scenario, ids: Commitments): Promise<void> {
  const { vault, keeper, stakers } = scenario;
  for (const [k, s] of stakers.slice(0, 4).entries()) {
    const p = params(BigInt(await networkHelpers.time.latest()) + 100n, beneficiary(scenario, k));
    await gas.measure(
      "createCommitmentFor (ETH)",
      vault.connect(keeper).createCommitmentFor(s.address, p, { value: p.amount }),
    );
  }
  await gas.measure("pause", vault.pause());
  await networkHelpers.time.increase(30 * DAY);
  for (const id of ids.usdc.slice(4, 8)) {
    await gas.measure("exit (ERC-20, 8 milestones)", vault.connect(keeper).exit(id));
  }
  await gas.measure("unpause", vault.unpause());
}

/**
 * The alternative design, measured in the same run: an EAS-style attestation per milestone whose resolver
 * releases the share (contracts/mocks/EASLikeAttestationMock.sol).
 */
async function measureEasAlternative({ attester, stakers }: Scenario): Promise<void> {
  const registry = await ethers.deployContract("MockSchemaRegistry");
  const eas = await ethers.deployContract("MockEAS", [await registry.getAddress()]);
  const owner = stakers[0] as HardhatEthersSigner;
  const easShare = 10n ** 17n;
  const resolver = await ethers.deployContract(
    "MockMilestoneResolver",
    [await eas.getAddress(), attester.address, owner.address, easShare],
    { value: 8n * easShare },
  );
  await (
    await registry.register("uint256 commitmentId,uint256 milestoneIndex", await resolver.getAddress(), false)
  ).wait();
  const schema = ethers.solidityPackedKeccak256(
    ["string", "address", "bool"],
    ["uint256 commitmentId,uint256 milestoneIndex", await resolver.getAddress(), false],
  );
  for (let i = 0; i < 8; i++) {
    const data = ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [1, i]);
    await gas.measure(
      "EAS attestation + resolver release (per milestone)",
      eas.connect(attester).attest({
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
}

/** Cancel before start. */
async function measureCancel(scenario: Scenario): Promise<void> {
  const { vault, stakers } = scenario;
  const later = (await networkHelpers.time.latest()) + 20 * WEEK;
  for (const s of stakers.slice(0, 4)) {
    const p = params(later, beneficiary(scenario, 0));
    await (await vault.connect(s).createCommitment(p, { value: p.amount })).wait();
    await gas.measure("cancel (ETH)", vault.connect(s).cancel(await vault.commitmentCount()));
  }
}
