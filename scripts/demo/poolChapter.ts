/**
 * The demo's second chapter (issue 14): a challenge pool, on the same chain and agent as the solo journey.
 * Host creates "3 workouts of 30 min a week, three weeks, 0.3 ETH each, 5 % fee"; Carol, Dave, Erin and Frank
 * join with ETH. Carol and Dave meet every week (uploads through the agent, the oracle's attestation, a claim from
 * their wallet: their own stake back week by week); Erin misses week 2; Frank quits after week 1. The coach nudges
 * those who fall behind with the pool in the message and answers "how am I doing?" with who is still in, the pot
 * and the share to expect; the agent's keeper slashes the missed weeks to the pool and
 * its settler settles everyone; the finishers claim their winnings and Host withdraws the fee. Ends with the
 * balances table (stake in, returned, winnings, lost to the pot, fee, fallback), which must add up to the wei.
 */
import { type Address, formatEther, type Hex, parseEther, parseEventLogs, zeroAddress } from "viem";
import type { AttestationView } from "../../agent/src/services/issueAttestation.ts";
import type { WorkoutView } from "../../agent/src/services/workoutView.ts";
import { challengePoolAbi, commitmentVaultAbi } from "../../deployments/abi.ts";
import { type AgentSession, expectStatus, signIn } from "./demoAgent.ts";
import type { DemoAccount, MinedTransaction } from "./demoChain.ts";
import {
  check,
  DEMO_RULES,
  JourneyCheckError,
  type JourneyParameters,
  nextMondayMorning,
} from "./journey.ts";
import { amount, ETH, shortHash } from "./report.ts";
import { gpxTrack } from "./workoutFiles.ts";

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;
const WEEK = 7 * DAY;

export const POOL_STAKE = parseEther("0.3");
export const POOL_WEEKS = 3;
export const POOL_FEE_BPS = 500;
const POOL_GRACE = 2 * DAY;

/** Which weeks (0-based) each participant meets. */
interface Plan {
  who: DemoAccount;
  weeks: readonly number[];
  story: string;
}

/** The participant's view `GET /api/challenges/:id` answers (the fields the demo reads). */
interface ChallengeDetail {
  id: string;
  phase: string;
  participantCount: number;
  settledCount: number;
  finisherCount: number;
  pot: string;
  winningsEach: string | null;
  participants: { address: Address; standing: string; status: string; milestonesReleased: number | null }[];
  you: { standing: string; claimable: string } | null;
}

/** `+0.1`, `-0.2`, `0`: ETH with its sign. */
function signedEther(wei: bigint): string {
  if (wei === 0n) return "0";
  return wei > 0n ? `+${formatEther(wei)}` : `-${formatEther(-wei)}`;
}

export interface PoolChapterResult {
  challengeId: bigint;
  /** Seconds the chapter took (wall time). */
  seconds: number;
}

export async function runPoolChapter({
  chain,
  agent,
  report,
}: JourneyParameters): Promise<PoolChapterResult> {
  const startedAt = performance.now();
  const { accounts, client, vault, pool } = chain;
  const { carol, dave, erin, frank, host, charity } = accounts;
  const { indexer, keeper, coach, challengeIndexer, challengeSettler } = agent.agent.tasks;
  check(indexer !== undefined && keeper !== undefined && coach !== undefined, "the agent lacks a task");
  check(
    challengeIndexer !== undefined && challengeSettler !== undefined,
    "the agent follows no challenge pool (CHALLENGE_POOL_ADDRESS unset or the keeper off)",
  );
  const plans: Plan[] = [
    { who: carol, weeks: [0, 1, 2], story: "meets every week" },
    { who: dave, weeks: [0, 1, 2], story: "meets every week" },
    { who: erin, weeks: [0, 2], story: "misses week 2" },
    { who: frank, weeks: [0], story: "quits after week 1" },
  ];

  const follow = async () => {
    for (let run = 0; run < 20; run += 1) {
      const [vaultRun, poolRun] = [await indexer.runOnce(), await challengeIndexer.runOnce()];
      if (vaultRun.caughtUp && poolRun.caughtUp) return;
    }
    throw new JourneyCheckError("the indexers did not catch up with the chain in 20 runs");
  };
  const travelTo = async (seconds: number) => {
    await chain.travelTo(seconds);
    await agent.syncClock();
  };
  const send = async (hash: Promise<Hex>): Promise<MinedTransaction> => {
    const tx = await chain.mined(await hash);
    await agent.syncClock();
    return tx;
  };
  const poolRead = {
    commitmentOf: (id: bigint, who: Address) =>
      client.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "commitmentOf",
        args: [id, who],
      }),
    challenge: (id: bigint) =>
      client.readContract({ address: pool, abi: challengePoolAbi, functionName: "challenge", args: [id] }),
    credits: (who: Address) =>
      client.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "credits",
        args: [who, zeroAddress],
      }),
  };
  const milestoneStates = async (commitmentId: bigint) => {
    const names = ["Open", "Released", "Slashed", "Refunded"] as const;
    const states: string[] = [];
    for (let i = 0; i < POOL_WEEKS; i += 1) {
      const state = await client.readContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "milestoneState",
        args: [commitmentId, BigInt(i)],
      });
      states.push(names[state] ?? `state ${state}`);
    }
    return states;
  };

  report.line();
  report.title("Chapter 2: a challenge pool (four people, one pot)");

  // ----------------------------------------------------------------------------------------------------------
  const now = await chain.latestTimestamp();
  report.step("Host creates a challenge in the ChallengePool", now);
  const sessions = new Map<Address, AgentSession>();
  for (const plan of plans) sessions.set(plan.who.address, await signIn(agent, plan.who));
  const session = (who: DemoAccount): AgentSession => {
    const found = sessions.get(who.address);
    check(found !== undefined, `${who.name} is not signed in`);
    return found;
  };
  const rules = expectStatus(
    await session(carol).post<{ rulesHash: Hex }>("/api/rules", { rules: DEMO_RULES }),
    200,
    "POST /api/rules",
  );
  const start = nextMondayMorning(now);
  const created = await send(
    chain.wallet(host).writeContract({
      address: pool,
      abi: challengePoolAbi,
      functionName: "createChallenge",
      args: [
        {
          token: zeroAddress,
          stake: POOL_STAKE,
          start: BigInt(start),
          period: WEEK,
          milestones: POOL_WEEKS,
          grace: POOL_GRACE,
          rulesHash: rules.rulesHash,
          joinDeadline: BigInt(start),
          maxParticipants: 10,
          feeBps: POOL_FEE_BPS,
          feeRecipient: host.address,
          fallbackBeneficiary: charity.address,
        },
      ],
    }),
  );
  const [createdEvent] = parseEventLogs({
    abi: challengePoolAbi,
    logs: created.receipt.logs,
    eventName: "ChallengeCreated",
  });
  check(createdEvent !== undefined, `no ChallengeCreated event in ${created.hash}`);
  const challengeId = createdEvent.args.challengeId;
  report.field("ChallengePool", `${pool} (over the vault ${vault})`);
  report.field(
    "challenge",
    `#${challengeId}: ${amount(POOL_STAKE, ETH)} each, ${POOL_WEEKS} × 1 week from ${new Date(start * 1000).toISOString()}, grace 2 days, same rules as the solo commitments`,
  );
  report.field(
    "split",
    `finishers share the missed weeks' stakes minus a ${POOL_FEE_BPS / 100} % fee (to Host); nobody finishes → Charity`,
  );
  report.transaction("createChallenge", host.name, created);

  // ----------------------------------------------------------------------------------------------------------
  report.step("Carol, Dave, Erin and Frank join with 0.3 ETH each", await chain.latestTimestamp());
  const commitments = new Map<Address, bigint>();
  for (const { who } of plans) {
    const joined = await send(
      chain.wallet(who).writeContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "join",
        args: [challengeId],
        value: POOL_STAKE,
      }),
    );
    const commitmentId = await poolRead.commitmentOf(challengeId, who.address);
    commitments.set(who.address, commitmentId);
    report.field(
      `${who.name} joins`,
      `commitment #${commitmentId} in the vault (owner ${who.name}, beneficiary the pool); tx ${shortHash(joined.hash)}, gas ${joined.gasUsed.toLocaleString("en-US")}`,
    );
    report.transaction(`join (${who.name})`, who.name, joined);
  }
  const commitmentOf = (who: DemoAccount): bigint => {
    const id = commitments.get(who.address);
    check(id !== undefined, `${who.name} has no commitment in the challenge`);
    return id;
  };
  await follow();
  const joinedView = expectStatus(
    await session(carol).get<ChallengeDetail>(`/api/challenges/${challengeId}`),
    200,
    `GET /api/challenges/${challengeId}`,
  );
  check(
    joinedView.participantCount === plans.length,
    `the agent sees ${joinedView.participantCount} participants, expected ${plans.length}`,
  );
  report.ok(
    `the agent's challenge indexer sees ${joinedView.participantCount} participants, phase ${joinedView.phase}; the vault holds their stakes`,
  );

  // ----------------------------------------------------------------------------------------------------------
  const returned = new Map<Address, bigint>();
  for (let week = 0; week < POOL_WEEKS; week += 1) {
    const weekStart = start + week * WEEK;
    const thursdayNoon = weekStart + 3 * DAY + 6 * HOUR;
    await travelTo(thursdayNoon);
    report.step(`Pool week ${week + 1}, Thursday noon: uploads through the agent`, thursdayNoon);
    for (const [p, plan] of plans.entries()) {
      if (!plan.weeks.includes(week)) {
        report.field(plan.who.name, `no workouts this week (${plan.story})`);
        continue;
      }
      const counted: string[] = [];
      for (let day = 0; day < 3; day += 1) {
        // Each person runs at their own time and pace: no two files alike (a copy would be `duplicate`).
        const at = (weekStart + day * DAY + HOUR + p * 11 * MINUTE) * 1000;
        const file = gpxTrack(
          `${plan.who.name.toLowerCase()}-week${week + 1}-day${day + 1}.gpx`,
          "GPX run",
          "running",
          at,
          35 + p,
          2.8 + p * 0.1,
        );
        const { workouts } = expectStatus(
          await session(plan.who).upload<{ workouts: WorkoutView[] }>(
            "/api/workouts/upload",
            file.fileName,
            file.bytes,
          ),
          201,
          `POST /api/workouts/upload ${file.fileName}`,
        );
        const [workout] = workouts;
        check(
          workout?.verdict.status === "accepted",
          `${file.fileName} was not accepted: ${JSON.stringify(workout?.verdict)}`,
        );
        const countsHere = workout.verdict.countsFor.some(
          (c) => c.commitmentId === commitmentOf(plan.who).toString() && c.milestoneIndex === week,
        );
        check(countsHere, `${file.fileName} does not count for #${commitmentOf(plan.who)} week ${week + 1}`);
        counted.push(`${Math.round(workout.durationSec / MINUTE)} min`);
      }
      report.field(
        plan.who.name,
        `3 GPX runs accepted (${counted.join(", ")}), counting for #${commitmentOf(plan.who)} week ${week + 1}`,
      );
    }

    if (week === 1 || week === 2) {
      await follow();
      if (week === 2) {
        // Week 2's claim deadline has passed: the keeper slashes Erin's and Frank's week 2 to the pool.
        const run = await keeper.runOnce();
        for (const hash of run.transactions) await chain.mined(hash);
        await agent.syncClock();
        await follow();
        const weekTwo = await Promise.all(
          [erin, frank].map(async (who) => (await milestoneStates(commitmentOf(who)))[1]),
        );
        check(
          weekTwo.every((state) => state === "Slashed"),
          `Erin's and Frank's week 2 are ${weekTwo.join(", ")}, expected Slashed`,
        );
        report.field(
          "keeper run",
          `slashed ${run.slashed}: Erin's and Frank's week 2 to the pool, the rest the solo commitments' unmet weeks (to Charity)`,
        );
      }
      // Those behind are nudged with the pool in the message; Frank, out since week 2, hears his week still pays.
      await coach.runPass();
      for (const who of week === 1 ? [erin, frank] : [frank]) {
        const { nudges } = expectStatus(
          await session(who).get<{ nudges: { message: string; reason: string }[] }>("/api/nudges"),
          200,
          `GET /api/nudges (${who.name})`,
        );
        const latest = nudges.find((n) => n.message.includes(`milestone ${week + 1}`));
        check(latest !== undefined, `the coach sent ${who.name} no nudge for week ${week + 1}`);
        check(
          latest.message.includes(`Challenge #${challengeId}`),
          `${who.name}'s nudge does not mention the challenge: ${latest.message}`,
        );
        report.line(`nudge → ${who.name} [${latest.reason}]: "${latest.message}"`);
      }
      const asker = week === 1 ? erin : carol;
      const chat = expectStatus(
        await session(asker).post<{ reply: string }>("/api/agent", { message: "how am I doing?" }),
        200,
        `POST /api/agent (${asker.name})`,
      );
      check(
        chat.reply.includes(`Challenge #${challengeId}:`),
        `the coach's answer to ${asker.name} does not mention the challenge: ${chat.reply}`,
      );
      report.line(`${asker.name} asks the coach: "how am I doing?"`);
      for (const line of chat.reply.split("\n")) report.line(`  coach: ${line}`);
    }

    const afterWeek = weekStart + WEEK + 2 * HOUR;
    await travelTo(afterWeek);
    report.step(`Pool week ${week + 1} is over: the oracle attests, those who met it claim`, afterWeek);
    await follow();
    for (const plan of plans) {
      if (!plan.weeks.includes(week)) continue;
      const commitmentId = commitmentOf(plan.who);
      const attestation = expectStatus(
        await session(plan.who).post<AttestationView>(
          `/api/commitments/${commitmentId}/milestones/${week}/attestation`,
        ),
        200,
        `POST /api/commitments/${commitmentId}/milestones/${week}/attestation (${plan.who.name})`,
      );
      const share = await client.readContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "milestoneAmount",
        args: [commitmentId, BigInt(week)],
      });
      const before = await chain.balanceOf(plan.who.address);
      const claimed = await send(
        chain.wallet(plan.who).writeContract({
          address: vault,
          abi: commitmentVaultAbi,
          functionName: "claimMilestone",
          args: [
            commitmentId,
            BigInt(week),
            attestation.evidenceHash,
            BigInt(attestation.validUntil),
            [attestation.signature],
          ],
        }),
      );
      const after = await chain.balanceOf(plan.who.address);
      check(
        after - before === share - claimed.fee,
        `${plan.who.name}'s balance moved by ${after - before}, expected ${share} minus gas ${claimed.fee}`,
      );
      returned.set(plan.who.address, (returned.get(plan.who.address) ?? 0n) + share);
      report.field(
        plan.who.name,
        `attested (evidence ${shortHash(attestation.evidenceHash)}), claimed week ${week + 1}: +${amount(share, ETH)} back (tx ${shortHash(claimed.hash)}, gas ${claimed.gasUsed.toLocaleString("en-US")})`,
      );
      report.transaction(`claimMilestone (${plan.who.name}, pool week ${week + 1})`, plan.who.name, claimed);
    }
  }

  // ----------------------------------------------------------------------------------------------------------
  const end = start + POOL_WEEKS * WEEK + POOL_GRACE + HOUR;
  await travelTo(end);
  report.step("Past the last claim deadline: the keeper slashes the missed weeks to the pool", end);
  await follow();
  const run = await keeper.runOnce();
  await agent.syncClock();
  for (const hash of run.transactions) await chain.mined(hash);
  const creditAfter = await client.readContract({
    address: vault,
    abi: commitmentVaultAbi,
    functionName: "credits",
    args: [pool, zeroAddress],
  });
  report.field("keeper run", `due ${run.due}, slashed ${run.slashed} (Frank's week 3, to the pool)`);
  const expectedLost = plans.reduce(
    (sum, plan) => sum + (POOL_STAKE * BigInt(POOL_WEEKS - plan.weeks.length)) / BigInt(POOL_WEEKS),
    0n,
  );
  check(creditAfter === expectedLost, `the pool's vault credit is ${creditAfter}, expected ${expectedLost}`);
  for (const plan of plans) {
    const states = await milestoneStates(commitmentOf(plan.who));
    const expected = [0, 1, 2].map((w) => (plan.weeks.includes(w) ? "Released" : "Slashed"));
    check(
      states.join() === expected.join(),
      `${plan.who.name}'s weeks are ${states.join(", ")}, expected ${expected.join(", ")}`,
    );
    report.field(plan.who.name, states.join(", "));
  }
  report.ok(`${amount(creditAfter, ETH)} of missed weeks credited to the pool in the vault`);

  // ----------------------------------------------------------------------------------------------------------
  report.step("The agent's settler settles every participant in the pool", await chain.latestTimestamp());
  await follow();
  const settled = await challengeSettler.runOnce();
  await agent.syncClock();
  for (const hash of settled.transactions) await chain.mined(hash);
  report.field(
    "settler run",
    `due ${settled.due}, settled ${settled.settled}, dropped ${settled.dropped.length}`,
  );
  const [, participants, settledCount, finishers, pot] = await poolRead.challenge(challengeId);
  check(
    settledCount === participants && participants === plans.length,
    `${settledCount} of ${participants} participants settled, expected all ${plans.length}`,
  );
  check(finishers === 2, `${finishers} finishers, expected 2 (Carol and Dave)`);
  check(pot === expectedLost, `the pot is ${pot}, expected ${expectedLost}`);
  const winningsEach = (pot * BigInt(10_000 - POOL_FEE_BPS)) / 10_000n / BigInt(finishers);
  const fee = pot - winningsEach * BigInt(finishers);
  report.ok(
    `${settledCount} of ${participants} settled, ${finishers} finishers; pot ${amount(pot, ETH)} → ${amount(winningsEach, ETH)} each, fee and dust ${amount(fee, ETH)} to Host`,
  );

  // ----------------------------------------------------------------------------------------------------------
  report.step("Carol and Dave claim their winnings; Host withdraws the fee", await chain.latestTimestamp());
  const winnings = new Map<Address, bigint>();
  for (const who of [carol, dave]) {
    const before = await chain.balanceOf(who.address);
    const claimed = await send(
      chain.wallet(who).writeContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "claimWinnings",
        args: [challengeId],
      }),
    );
    const [event] = parseEventLogs({
      abi: challengePoolAbi,
      logs: claimed.receipt.logs,
      eventName: "WinningsClaimed",
    });
    const won = event?.args.amount ?? 0n;
    const after = await chain.balanceOf(who.address);
    check(won === winningsEach, `${who.name} won ${won}, expected ${winningsEach}`);
    check(
      after - before === won - claimed.fee,
      `${who.name}'s balance did not rise by the winnings minus gas`,
    );
    winnings.set(who.address, won);
    report.field(
      who.name,
      `claimWinnings: +${amount(won, ETH)} (tx ${shortHash(claimed.hash)}, gas ${claimed.gasUsed.toLocaleString("en-US")})`,
    );
    report.transaction(`claimWinnings (${who.name})`, who.name, claimed);
  }
  const hostCredit = await poolRead.credits(host.address);
  check(hostCredit === fee, `Host's credit in the pool is ${hostCredit}, expected the fee ${fee}`);
  const withdrawn = await send(
    chain.wallet(host).writeContract({
      address: pool,
      abi: challengePoolAbi,
      functionName: "withdraw",
      args: [zeroAddress],
    }),
  );
  report.field("Host", `withdraw: +${amount(hostCredit, ETH)} fee (tx ${shortHash(withdrawn.hash)})`);
  report.transaction("withdraw fee (Host)", host.name, withdrawn);
  const fallback = await poolRead.credits(charity.address);
  await follow();
  const closed = expectStatus(
    await session(carol).get<ChallengeDetail>(`/api/challenges/${challengeId}`),
    200,
    `GET /api/challenges/${challengeId}`,
  );
  const standings = closed.participants
    .map((row) => {
      const plan = plans.find((p) => p.who.address.toLowerCase() === row.address.toLowerCase());
      return `${plan?.who.name ?? row.address} ${row.standing}`;
    })
    .join(", ");
  check(
    closed.phase === "closed" && closed.finisherCount === 2,
    `the agent shows phase ${closed.phase} and ${closed.finisherCount} finishers`,
  );
  report.ok(`GET /api/challenges/${challengeId}: phase ${closed.phase}; ${standings}`);

  // ----------------------------------------------------------------------------------------------------------
  report.step("Pool balances in ETH (wei-exact; gas not counted)");
  const rows: string[][] = [];
  let totalIn = 0n;
  let totalOut = 0n;
  for (const plan of plans) {
    const back = returned.get(plan.who.address) ?? 0n;
    const won = winnings.get(plan.who.address) ?? 0n;
    const lost = POOL_STAKE - back;
    totalIn += POOL_STAKE;
    totalOut += back + won;
    const net = back + won - POOL_STAKE;
    rows.push([
      plan.who.name,
      plan.story,
      formatEther(POOL_STAKE),
      formatEther(back),
      formatEther(won),
      formatEther(lost),
      "0",
      "0",
      signedEther(net),
    ]);
  }
  rows.push(["Host", "fee recipient", "0", "0", "0", "0", formatEther(fee), "0", signedEther(fee)]);
  rows.push([
    "Charity",
    "fallback if nobody finished",
    "0",
    "0",
    "0",
    "0",
    "0",
    formatEther(fallback),
    signedEther(fallback),
  ]);
  totalOut += fee + fallback;
  report.table(
    ["who", "story", "stake in", "returned", "winnings", "lost to pot", "fee", "fallback", "net (ETH)"],
    rows,
  );
  check(totalIn === totalOut, `stakes in ${totalIn} ≠ paid out ${totalOut}`);
  const poolBalance = await chain.balanceOf(pool);
  const vaultCredit = await client.readContract({
    address: vault,
    abi: commitmentVaultAbi,
    functionName: "credits",
    args: [pool, zeroAddress],
  });
  check(
    poolBalance === 0n && vaultCredit === 0n,
    `the pool still holds ${poolBalance} wei and ${vaultCredit} wei of vault credit`,
  );
  report.ok(
    `stakes in ${amount(totalIn, ETH)} = returned + winnings + fee + fallback ${amount(totalOut, ETH)}; the pool holds 0 ETH`,
  );
  const seconds = (performance.now() - startedAt) / 1000;
  report.line(`pool chapter: ${seconds.toFixed(1)} s`);
  return { challengeId, seconds };
}
