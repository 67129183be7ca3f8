/**
 * The coach knows challenge pools (issue 14): for a commitment whose beneficiary is the pool, the status tool carries
 * the challenge's parameters, how many are still in, the pot so far, the owner's standing and when winnings can be
 * claimed (from the challenge indexer's cache); the offline provider says so in its answer; a behind-pace nudge
 * mentions the pot and the others. A solo commitment of the same owner gains none of it.
 */
import { expect } from "chai";
import type { Address } from "viem";
import { ungroundedNumbers } from "../../src/coach/agent/groundNumbers.ts";
import { createRulesProvider } from "../../src/coach/agent/rulesProvider.ts";
import { runAgentTurn } from "../../src/coach/agent/runAgentTurn.ts";
import { loadChallengeFacts } from "../../src/coach/challengeContext.ts";
import { evaluateCommitment } from "../../src/coach/interventions/evaluateCommitment.ts";
import { coachTools } from "../../src/coach/tools/coachTools.ts";
import { getCommitmentStatus } from "../../src/coach/tools/getCommitmentStatus.ts";
import { canonicalizeRules } from "../../src/rules/rulesDocument.ts";
import type { ChallengeParticipantStatus } from "../../src/store/schema.ts";
import {
  CHAIN_ID,
  type CoachTestContext,
  DAY,
  openCoachTest,
  RULES,
  randomOwner,
  seedCommitment,
  USDC,
  VAULT,
  WEEK,
  WEEK_START,
} from "./coachFixtures.ts";

const POOL = "0x00000000000000000000000000000000000b0015" as Address;
const STAKE = 30_000_000n; // 30 USDC: 10 USDC a week
const START_SEC = WEEK_START / 1000;
type State = "Open" | "Released" | "Slashed" | "Refunded";

describe("the coach knows challenge pools", () => {
  let t: CoachTestContext;
  const owner = randomOwner();
  const others = [randomOwner(), randomOwner(), randomOwner()];
  let nextCommitment = 9_000n;
  let poolCommitment: bigint;
  let soloCommitment: bigint;

  /** A commitment the pool made for `who` (beneficiary = the pool), and their participant row. */
  async function join(
    challengeId: bigint,
    who: Address,
    states: State[],
    status: ChallengeParticipantStatus,
  ) {
    const commitmentId = nextCommitment++;
    await t.store.commitments.upsert({
      chainId: CHAIN_ID,
      vault: VAULT,
      commitmentId,
      owner: who,
      token: USDC,
      amount: STAKE,
      start: START_SEC,
      period: WEEK / 1000,
      milestones: 3,
      grace: 2 * 86_400,
      beneficiary: POOL,
      rulesHash: canonicalizeRules(RULES).rulesHash,
      closed: states.every((s) => s !== "Open"),
      milestoneStates: states,
      updatedBlock: 1,
    });
    await t.store.challenges.upsertParticipant({
      chainId: CHAIN_ID,
      pool: POOL,
      challengeId,
      participant: who,
      commitmentId,
      status,
      winnings: 0n,
      updatedBlock: 1,
    });
    return commitmentId;
  }

  async function challenge(
    challengeId: bigint,
    settled: { settled: number; finishers: number; pot: bigint },
  ) {
    await t.store.challenges.upsert({
      chainId: CHAIN_ID,
      pool: POOL,
      challengeId,
      creator: others[0] as Address,
      token: USDC,
      stake: STAKE,
      start: START_SEC,
      period: WEEK / 1000,
      milestones: 3,
      grace: 2 * 86_400,
      rulesHash: canonicalizeRules(RULES).rulesHash,
      joinDeadline: START_SEC,
      maxParticipants: 20,
      feeBps: 500,
      feeRecipient: others[0] as Address,
      fallbackBeneficiary: others[1] as Address,
      participants: 4,
      ...settled,
      updatedBlock: 1,
    });
  }

  before(async () => {
    t = await openCoachTest();
    soloCommitment = (await seedCommitment(t.store, { owner, milestones: 3, id: 8_999n })).commitmentId;
    // Challenge #7, week 2 under way: the owner and one other met week 1 (Released), one was slashed, one has
    // not claimed week 1 yet (behind).
    await challenge(7n, { settled: 0, finishers: 0, pot: 0n });
    poolCommitment = await join(7n, owner, ["Released", "Open", "Open"], "joined");
    await join(7n, others[0] as Address, ["Released", "Open", "Open"], "joined");
    await join(7n, others[1] as Address, ["Slashed", "Open", "Open"], "joined");
    await join(7n, others[2] as Address, ["Open", "Open", "Open"], "joined");
    t.clock.set(WEEK_START + WEEK + 2 * DAY + 8 * 3_600_000); // Wed 08:00 UTC of week 2, nothing done yet
  });
  after(() => t.store.close());

  it("getCommitmentStatus carries the challenge: parameters, who is still in, the pot so far, your standing", async () => {
    const status = await getCommitmentStatus.run({}, { owner, deps: t.deps });
    const pool = status.commitments.find((c) => c.commitmentId === poolCommitment.toString());
    const solo = status.commitments.find((c) => c.commitmentId === soloCommitment.toString());
    expect(pool?.challengeId).to.equal("7");
    expect(solo).to.not.equal(undefined);
    expect(solo?.challengeId).to.equal(undefined);
    expect(status.challenges).to.have.length(1);
    expect(status.challenges[0]).to.deep.include({
      challengeId: "7",
      name: "Challenge #7",
      commitmentId: poolCommitment.toString(),
      stake: "30 USDC",
      milestones: 3,
      periodDays: 7,
      feePercent: 5,
      phase: "running",
      participants: 4,
      onTrack: 2,
      behind: 1,
      finished: 0,
      out: 1,
      stillIn: 3,
      // The slashed participant's week 1 (10 USDC), not yet settled into the pool's pot.
      pot: "10 USDC",
      you: "on_track",
      // 10 × 0.95 / 3
      shareIfStillInFinish: "3.1666 USDC",
      claimable: null,
      winningsFrom: new Date(WEEK_START + 3 * WEEK + 2 * DAY).toISOString(),
    });
  });

  it('"how am I doing?" answers with the challenge, every number from the tools', async () => {
    const turn = await runAgentTurn(
      { coach: t.deps, provider: createRulesProvider(), tools: coachTools },
      { owner, message: "How am I doing?" },
    );
    expect(turn.reply).to.contain(`Commitment ${poolCommitment}, milestone 2 of 3: 0 of 3 workouts done`);
    expect(turn.reply).to.contain("You need 3 more workouts by Mon 7 Dec 00:00 to stay in Challenge #7.");
    expect(turn.reply, turn.reply).to.contain(
      "Challenge #7: 3 of 4 still in, the pot is 10 USDC so far. Finish every week to share it: about 3.1666 USDC each if the 3 still in all finish, claimable after Wed 16 Dec 00:00.",
    );
    const sources = turn.toolCalls.map((c) => JSON.stringify(c.result));
    expect(ungroundedNumbers(turn.reply, sources), turn.reply).to.deep.equal([]);
  });

  it("a behind-pace nudge for the pool commitment mentions the pot and the others; the solo one does not", async () => {
    const commitment = await t.store.commitments.get({
      chainId: CHAIN_ID,
      vault: VAULT,
      commitmentId: poolCommitment,
    });
    const solo = await t.store.commitments.get({
      chainId: CHAIN_ID,
      vault: VAULT,
      commitmentId: soloCommitment,
    });
    if (commitment === null || solo === null) throw new Error("seeded commitments missing");
    expect((await evaluateCommitment(t.deps, { commitment })).outcome).to.equal("intervened");
    expect((await evaluateCommitment(t.deps, { commitment: solo })).outcome).to.equal("intervened");
    const messages = (await t.store.nudges.listByOwner(owner)).map((n) => n.message);
    expect(messages).to.have.length(2);
    const [withPool, without] = [
      messages.filter((m) => m.includes("Challenge #7")),
      messages.filter((m) => !m.includes("Challenge")),
    ];
    expect(withPool).to.deep.equal([
      "0 of 3 done for milestone 2, 112 h left: plan 3 more workouts of at least 30 min now. Challenge #7: 3 of 4 still in, the pot is 10 USDC so far; finish every week to share it.",
    ]);
    expect(without).to.have.length(1);
  });

  it("reads a challenge's tally once per minute, also through the per-page store copies the scheduler pass makes", async () => {
    const commitment = await t.store.commitments.get({
      chainId: CHAIN_ID,
      vault: VAULT,
      commitmentId: poolCommitment,
    });
    if (commitment === null) throw new Error("seeded commitment missing");
    let tallies = 0;
    const challenges = {
      ...t.store.challenges,
      tally: (query: Parameters<typeof t.store.challenges.tally>[0]) => {
        tallies += 1;
        return t.store.challenges.tally(query);
      },
    };
    // Two pages of a pass: each gets its own copy of the store (runCoachPass's pageStore), same repositories.
    for (let page = 0; page < 2; page += 1) {
      const deps = { ...t.deps, store: { ...t.store, challenges } };
      const facts = await loadChallengeFacts(deps, owner, [commitment], "UTC");
      expect(facts[0]?.stillIn).to.equal(3);
    }
    expect(tallies).to.equal(1);
  });

  it("tells each participant only their own standing, and nothing to a stranger whose commitment names the pool", async () => {
    // Another participant (slashed in week 1) hears their own standing and commitment, never the owner's.
    const other = await getCommitmentStatus.run({}, { owner: others[1] as Address, deps: t.deps });
    expect(other.challenges).to.have.length(1);
    expect(other.challenges[0]?.you).to.equal("out");
    expect(other.challenges[0]?.commitmentId).to.not.equal(poolCommitment.toString());
    expect(JSON.stringify(other)).to.not.include(owner.toLowerCase().slice(2));
    // A stranger's own commitment with the pool as beneficiary, without joining: no challenge, no tally.
    const stranger = randomOwner();
    await t.store.commitments.upsert({
      chainId: CHAIN_ID,
      vault: VAULT,
      commitmentId: nextCommitment++,
      owner: stranger,
      token: USDC,
      amount: STAKE,
      start: START_SEC,
      period: WEEK / 1000,
      milestones: 3,
      grace: 2 * 86_400,
      beneficiary: POOL,
      rulesHash: canonicalizeRules(RULES).rulesHash,
      closed: false,
      milestoneStates: ["Open", "Open", "Open"],
      updatedBlock: 1,
    });
    const status = await getCommitmentStatus.run({}, { owner: stranger, deps: t.deps });
    expect(status.commitments).to.have.length(1);
    expect(status.challenges).to.deep.equal([]);
    const turn = await runAgentTurn(
      { coach: t.deps, provider: createRulesProvider(), tools: coachTools },
      { owner: stranger, message: "How am I doing?" },
    );
    expect(turn.reply).to.not.contain("Challenge #7");
  });

  it("once everyone is settled, a finisher hears that the winnings are ready; one who missed is out", async () => {
    // Week 3 over and settled: the owner and others[0] finished, others[1] and others[2] are out.
    await challenge(7n, { settled: 4, finishers: 2, pot: 30_000_000n });
    await t.store.challenges.upsertParticipant({
      chainId: CHAIN_ID,
      pool: POOL,
      challengeId: 7n,
      participant: owner,
      commitmentId: poolCommitment,
      status: "finished",
      winnings: 14_250_000n,
      updatedBlock: 2,
    });
    for (const [who, status] of [
      [others[0], "finished"],
      [others[1], "out"],
      [others[2], "out"],
    ] as const) {
      const row = await t.store.challenges.getParticipant({
        chainId: CHAIN_ID,
        pool: POOL,
        challengeId: 7n,
        participant: who as Address,
      });
      if (row === null) throw new Error("participant missing");
      await t.store.challenges.upsertParticipant({
        ...row,
        status,
        updatedBlock: 2,
      });
    }
    t.clock.set(WEEK_START + 3 * WEEK + 3 * DAY);
    const status = await getCommitmentStatus.run({}, { owner, deps: t.deps });
    expect(status.commitments).to.deep.equal([]);
    expect(status.challenges[0]).to.deep.include({
      phase: "closed",
      finished: 2,
      out: 2,
      stillIn: 2,
      pot: "30 USDC",
      you: "finished",
      claimable: "14.25 USDC",
    });
    const turn = await runAgentTurn(
      { coach: t.deps, provider: createRulesProvider(), tools: coachTools },
      { owner, message: "How am I doing?" },
    );
    expect(turn.reply).to.equal(
      "You have no running milestone right now. Challenge #7: 2 of 4 still in, the pot is 30 USDC. Your winnings of 14.25 USDC are ready to claim.",
    );
    const out = await getCommitmentStatus.run({}, { owner: others[1] as Address, deps: t.deps });
    expect(out.challenges[0]?.you).to.equal("out");
    expect(out.challenges[0]?.shareIfStillInFinish).to.equal(null);
  });
});
