/**
 * Drives a ChallengePool on the in-process chain for the agent's tests: deploy, create a challenge in ETH,
 * join, settle, claim winnings.
 */
import { expect } from "chai";
import type { Address, Hex } from "viem";
import { challengePoolAbi } from "../../../deployments/abi.ts";
import {
  DEFAULT_RULES_HASH,
  type HardhatChain,
  type TestAccount,
  ZERO_ADDRESS,
} from "../support/hardhatChain.ts";

export const STAKE = 10n ** 18n;

export interface PoolDriver {
  pool: Address;
  deploymentBlock: number;
  /** An ETH challenge of `milestones` windows of an hour (grace 10 min) starting in 2 minutes; answers its id. */
  create(options?: { milestones?: number; from?: TestAccount; maxParticipants?: number }): Promise<bigint>;
  join(challengeId: bigint, from: TestAccount): Promise<void>;
  settle(challengeId: bigint, participant: Address): Promise<void>;
  claimWinnings(challengeId: bigint, from: TestAccount): Promise<void>;
  commitmentOf(challengeId: bigint, participant: Address): Promise<bigint>;
}

export async function deployPool(chain: HardhatChain): Promise<PoolDriver> {
  const { pool, deploymentBlock } = await chain.deployChallengePool();
  const mined = async (hash: Hex) => {
    const receipt = await chain.client.waitForTransactionReceipt({
      hash,
      pollingInterval: 1,
      timeout: 10_000,
    });
    expect(receipt.status).to.equal("success");
  };
  let created = 0n;
  return {
    pool,
    deploymentBlock,
    async create({ milestones = 1, from = chain.accounts.stranger, maxParticipants = 10 } = {}) {
      const now = Number((await chain.client.getBlock({ blockTag: "pending" })).timestamp);
      const start = BigInt(now + 120);
      await mined(
        await chain.wallet(from).writeContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "createChallenge",
          args: [
            {
              token: ZERO_ADDRESS,
              stake: STAKE,
              start,
              period: 3_600,
              milestones,
              grace: 600,
              rulesHash: DEFAULT_RULES_HASH,
              joinDeadline: start,
              maxParticipants,
              feeBps: 500,
              feeRecipient: chain.accounts.admin.address,
              fallbackBeneficiary: chain.accounts.beneficiary.address,
            },
          ],
        }),
      );
      created = await chain.client.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "challengeCount",
      });
      return created;
    },
    async join(challengeId, from) {
      await mined(
        await chain.wallet(from).writeContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "join",
          args: [challengeId],
          value: STAKE,
        }),
      );
    },
    async settle(challengeId, participant) {
      await mined(
        await chain.wallet(chain.accounts.stranger).writeContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "settleParticipant",
          args: [challengeId, participant],
        }),
      );
    },
    async claimWinnings(challengeId, from) {
      await mined(
        await chain.wallet(from).writeContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "claimWinnings",
          args: [challengeId],
        }),
      );
    },
    commitmentOf: (challengeId, participant) =>
      chain.client.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "commitmentOf",
        args: [challengeId, participant],
      }),
  };
}

/**
 * One challenge played out: alice and bob join; alice claims her one milestone, bob's is slashed; both are
 * settled and alice claims her winnings. Answers the challenge id.
 */
export async function playChallenge(chain: HardhatChain, driver: PoolDriver): Promise<bigint> {
  const { alice, bob, stranger } = chain.accounts;
  const id = await driver.create();
  await driver.join(id, alice);
  await driver.join(id, bob);
  await chain.increaseTime(121);
  await chain.claim({
    commitmentId: await driver.commitmentOf(id, alice.address),
    milestoneIndex: 0,
    validUntil: (await chain.latestTimestamp()) + 600,
    from: alice,
  });
  await chain.increaseTime(3_600 + 600);
  await chain.slash(await driver.commitmentOf(id, bob.address), 0, stranger);
  await driver.settle(id, alice.address);
  await driver.settle(id, bob.address);
  await driver.claimWinnings(id, alice);
  return id;
}
