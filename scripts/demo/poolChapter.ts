/**
 * The demo's second chapter (issue 14): a challenge pool, on the same chain and agent as the solo journey.
 * Host creates "3 workouts of 30 min a week, three weeks, 0.3 ETH each, 5 % fee"; Carol, Dave, Erin and Frank
 * join with ETH. Carol and Dave meet every week (uploads through the agent, the oracle's attestation, a claim from
 * their wallet: their own stake back week by week); Erin misses week 2; Frank quits after week 1. The coach nudges
 * those who fall behind with the pool in the message and answers "how am I doing?" with who is still in, the pot
 * and the share to expect; the agent's keeper slashes the missed weeks to the pool and
 * its settler settles everyone; the finishers claim their winnings and Host withdraws the fee. Ends with the
 * balances table (stake in, returned, winnings, lost to the pot, fee, fallback), which must add up to the wei.
 *
 * `runPoolChapter` is the list of steps; each step below is one numbered section of the report (a pool week is
 * two: the uploads, then the attestations and claims).
 */
import {
  type Address,
  formatEther,
  getContract,
  type Hex,
  parseEther,
  parseEventLogs,
  zeroAddress,
} from "viem";
import type { WorkoutView } from "../../agent/src/services/workoutView.ts";
import { challengePoolAbi } from "../../deployments/abi.ts";
import {
  catchUp,
  check,
  claimMilestone,
  DAY,
  DEMO_RULES,
  HOUR,
  type JourneyParameters,
  MINUTE,
  milestoneAmount,
  milestoneStates,
  minedAndSynced,
  nextMondayMorning,
  requestAttestation,
  travelTo,
  vaultCredits,
  WEEK,
} from "./chapter.ts";
import { type AgentSession, expectStatus, signIn } from "./demoAgent.ts";
import type { DemoAccount, DemoChain } from "./demoChain.ts";
import { amount, ETH, shortHash } from "./report.ts";
import { gpxTrack } from "./workoutFiles.ts";

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

export interface PoolChapterResult {
  challengeId: bigint;
  /** Seconds the chapter took (wall time). */
  seconds: number;
}

type AgentTasks = JourneyParameters["agent"]["agent"]["tasks"];

/** The chapter's parameters, the agent tasks it drives (checked present) and each participant's plan. */
interface PoolChapter extends JourneyParameters {
  indexer: NonNullable<AgentTasks["indexer"]>;
  keeper: NonNullable<AgentTasks["keeper"]>;
  coach: NonNullable<AgentTasks["coach"]>;
  challengeIndexer: NonNullable<AgentTasks["challengeIndexer"]>;
  challengeSettler: NonNullable<AgentTasks["challengeSettler"]>;
  plans: readonly Plan[];
}

/** The challenge under way: its id, its first Monday, and each participant's session and commitment. */
interface Challenge {
  id: bigint;
  start: number;
  sessions: ReadonlyMap<Address, AgentSession>;
  commitments: Map<Address, bigint>;
}

/** What the participants got back: their own weeks' shares (`returned`) and their winnings. */
interface Payouts {
  returned: Map<Address, bigint>;
  winnings: Map<Address, bigint>;
}

export async function runPoolChapter(parameters: JourneyParameters): Promise<PoolChapterResult> {
  const startedAt = performance.now();
  const chapter = poolChapter(parameters);
  chapter.report.line();
  chapter.report.title("Chapter 2: a challenge pool (four people, one pot)");
  const challenge = await hostCreatesChallenge(chapter);
  await participantsJoin(chapter, challenge);
  const payouts: Payouts = { returned: new Map(), winnings: new Map() };
  for (let week = 0; week < POOL_WEEKS; week += 1) {
    await participantsUploadTheirWeek(chapter, challenge, week);
    if (week === 1 || week === 2) {
      await follow(chapter);
      if (week === 2) await keeperSlashesWeekTwo(chapter, challenge);
      await coachFollowsUp(chapter, challenge, week);
    }
    await weekAttestedAndClaimed(chapter, challenge, week, payouts);
  }
  const pot = await keeperSlashesMissedWeeks(chapter, challenge);
  const { winningsEach, fee } = await settlerSettlesEveryone(chapter, challenge, pot);
  const fallback = await finishersClaimAndHostWithdraws(chapter, challenge, winningsEach, fee, payouts);
  await printPoolBalances(chapter, payouts, fee, fallback);
  const seconds = (performance.now() - startedAt) / 1000;
  chapter.report.line(`pool chapter: ${seconds.toFixed(1)} s`);
  return { challengeId: challenge.id, seconds };
}

function poolChapter(parameters: JourneyParameters): PoolChapter {
  const { carol, dave, erin, frank } = parameters.chain.accounts;
  const { indexer, keeper, coach, challengeIndexer, challengeSettler } = parameters.agent.agent.tasks;
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
  return { ...parameters, indexer, keeper, coach, challengeIndexer, challengeSettler, plans };
}

/** `+0.1`, `-0.2`, `0`: ETH with its sign. */
function signedEther(wei: bigint): string {
  if (wei === 0n) return "0";
  return wei > 0n ? `+${formatEther(wei)}` : `-${formatEther(-wei)}`;
}

/** Runs the vault's and the pool's indexers until both have caught up with the chain. */
function follow(chapter: PoolChapter): Promise<void> {
  return catchUp([chapter.indexer, chapter.challengeIndexer], "the indexers");
}

function session(sessions: ReadonlyMap<Address, AgentSession>, who: DemoAccount): AgentSession {
  const found = sessions.get(who.address);
  check(found !== undefined, `${who.name} is not signed in`);
  return found;
}

function commitmentOf(challenge: Challenge, who: DemoAccount): bigint {
  const id = challenge.commitments.get(who.address);
  check(id !== undefined, `${who.name} has no commitment in the challenge`);
  return id;
}

/** The ChallengePool, for reads. */
function poolContract(chain: DemoChain) {
  return getContract({ address: chain.pool, abi: challengePoolAbi, client: chain.client });
}

/** The ChallengePool as `who` sends to it from their wallet. */
function poolAs(chain: DemoChain, who: DemoAccount) {
  return getContract({ address: chain.pool, abi: challengePoolAbi, client: chain.wallet(who) });
}

/** What the pool owes `who` in ETH. */
function poolCredits(chain: DemoChain, who: Address): Promise<bigint> {
  return poolContract(chain).read.credits([who, zeroAddress]);
}

async function challengeDetail(challenge: Challenge, who: DemoAccount): Promise<ChallengeDetail> {
  return expectStatus(
    await session(challenge.sessions, who).get<ChallengeDetail>(`/api/challenges/${challenge.id}`),
    200,
    `GET /api/challenges/${challenge.id}`,
  );
}

/** Everyone signs in to the agent; Host creates the challenge from next Monday with the demo's rules. */
async function hostCreatesChallenge(chapter: PoolChapter): Promise<Challenge> {
  const { chain, agent, report, plans } = chapter;
  const { carol, host, charity } = chain.accounts;
  const now = await chain.latestTimestamp();
  report.step("Host creates a challenge in the ChallengePool", now);
  const sessions = new Map<Address, AgentSession>();
  for (const plan of plans) sessions.set(plan.who.address, await signIn(agent, plan.who));
  const rules = expectStatus(
    await session(sessions, carol).post<{ rulesHash: Hex }>("/api/rules", { rules: DEMO_RULES }),
    200,
    "POST /api/rules",
  );
  const start = nextMondayMorning(now);
  const created = await minedAndSynced(
    chapter,
    poolAs(chain, host).write.createChallenge([
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
    ]),
  );
  const [createdEvent] = parseEventLogs({
    abi: challengePoolAbi,
    logs: created.receipt.logs,
    eventName: "ChallengeCreated",
  });
  check(createdEvent !== undefined, `no ChallengeCreated event in ${created.hash}`);
  const id = createdEvent.args.challengeId;
  report.field("ChallengePool", `${chain.pool} (over the vault ${chain.vault})`);
  report.field(
    "challenge",
    `#${id}: ${amount(POOL_STAKE, ETH)} each, ${POOL_WEEKS} × 1 week from ${new Date(start * 1000).toISOString()}, grace 2 days, same rules as the solo commitments`,
  );
  report.field(
    "split",
    `finishers share the missed weeks' stakes minus a ${POOL_FEE_BPS / 100} % fee (to Host); nobody finishes → Charity`,
  );
  report.transaction("createChallenge", host.name, created);
  return { id, start, sessions, commitments: new Map() };
}

/** Each participant joins with the stake: the pool opens a commitment for them in the vault. */
async function participantsJoin(chapter: PoolChapter, challenge: Challenge): Promise<void> {
  const { chain, report, plans } = chapter;
  const { carol } = chain.accounts;
  report.step("Carol, Dave, Erin and Frank join with 0.3 ETH each", await chain.latestTimestamp());
  for (const { who } of plans) {
    const joined = await minedAndSynced(
      chapter,
      poolAs(chain, who).write.join([challenge.id], { value: POOL_STAKE }),
    );
    const commitmentId = await poolContract(chain).read.commitmentOf([challenge.id, who.address]);
    challenge.commitments.set(who.address, commitmentId);
    report.field(
      `${who.name} joins`,
      `commitment #${commitmentId} in the vault (owner ${who.name}, beneficiary the pool); tx ${shortHash(joined.hash)}, gas ${joined.gasUsed.toLocaleString("en-US")}`,
    );
    report.transaction(`join (${who.name})`, who.name, joined);
  }
  await follow(chapter);
  const joinedView = await challengeDetail(challenge, carol);
  check(
    joinedView.participantCount === plans.length,
    `the agent sees ${joinedView.participantCount} participants, expected ${plans.length}`,
  );
  report.ok(
    `the agent's challenge indexer sees ${joinedView.participantCount} participants, phase ${joinedView.phase}; the vault holds their stakes`,
  );
}

/** Thursday noon of the week: those whose plan meets it upload three GPX runs, each checked to count. */
async function participantsUploadTheirWeek(
  chapter: PoolChapter,
  challenge: Challenge,
  week: number,
): Promise<void> {
  const { report, plans } = chapter;
  const weekStart = challenge.start + week * WEEK;
  const thursdayNoon = weekStart + 3 * DAY + 6 * HOUR;
  await travelTo(chapter, thursdayNoon);
  report.step(`Pool week ${week + 1}, Thursday noon: uploads through the agent`, thursdayNoon);
  for (const [p, plan] of plans.entries()) {
    if (!plan.weeks.includes(week)) {
      report.field(plan.who.name, `no workouts this week (${plan.story})`);
      continue;
    }
    const counted: string[] = [];
    for (let day = 0; day < 3; day += 1) {
      counted.push(await uploadRun(challenge, plan.who, p, week, day));
    }
    report.field(
      plan.who.name,
      `3 GPX runs accepted (${counted.join(", ")}), counting for #${commitmentOf(challenge, plan.who)} week ${week + 1}`,
    );
  }
}

/** Uploads the `p`-th participant's run of `day` in `week` and checks it counts for their week; its minutes. */
async function uploadRun(
  challenge: Challenge,
  who: DemoAccount,
  p: number,
  week: number,
  day: number,
): Promise<string> {
  // Each person runs at their own time and pace: no two files alike (a copy would be `duplicate`).
  const at = (challenge.start + week * WEEK + day * DAY + HOUR + p * 11 * MINUTE) * 1000;
  const file = gpxTrack(
    `${who.name.toLowerCase()}-week${week + 1}-day${day + 1}.gpx`,
    "GPX run",
    "running",
    at,
    35 + p,
    2.8 + p * 0.1,
  );
  const { workouts } = expectStatus(
    await session(challenge.sessions, who).upload<{ workouts: WorkoutView[] }>(
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
    (c) => c.commitmentId === commitmentOf(challenge, who).toString() && c.milestoneIndex === week,
  );
  check(countsHere, `${file.fileName} does not count for #${commitmentOf(challenge, who)} week ${week + 1}`);
  return `${Math.round(workout.durationSec / MINUTE)} min`;
}

/** Week 2's claim deadline has passed: the keeper slashes Erin's and Frank's week 2 to the pool. */
async function keeperSlashesWeekTwo(chapter: PoolChapter, challenge: Challenge): Promise<void> {
  const { chain, agent, report, keeper } = chapter;
  const { erin, frank } = chain.accounts;
  const run = await keeper.runOnce();
  for (const hash of run.transactions) await chain.mined(hash);
  await agent.syncClock();
  await follow(chapter);
  const weekTwo = await Promise.all(
    [erin, frank].map(
      async (who) => (await milestoneStates(chain, commitmentOf(challenge, who), POOL_WEEKS))[1],
    ),
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

/**
 * The coach's pass: those behind are nudged with the pool in the message (Frank, out since week 2, hears his
 * week still pays); then someone asks "how am I doing?" and the answer names the challenge.
 */
async function coachFollowsUp(chapter: PoolChapter, challenge: Challenge, week: number): Promise<void> {
  const { chain, report, coach } = chapter;
  const { carol, erin, frank } = chain.accounts;
  await coach.runPass();
  for (const who of week === 1 ? [erin, frank] : [frank]) {
    const { nudges } = expectStatus(
      await session(challenge.sessions, who).get<{ nudges: { message: string; reason: string }[] }>(
        "/api/nudges",
      ),
      200,
      `GET /api/nudges (${who.name})`,
    );
    const latest = nudges.find((n) => n.message.includes(`milestone ${week + 1}`));
    check(latest !== undefined, `the coach sent ${who.name} no nudge for week ${week + 1}`);
    check(
      latest.message.includes(`Challenge #${challenge.id}`),
      `${who.name}'s nudge does not mention the challenge: ${latest.message}`,
    );
    report.line(`nudge → ${who.name} [${latest.reason}]: "${latest.message}"`);
  }
  const asker = week === 1 ? erin : carol;
  const chat = expectStatus(
    await session(challenge.sessions, asker).post<{ reply: string }>("/api/agent", {
      message: "how am I doing?",
    }),
    200,
    `POST /api/agent (${asker.name})`,
  );
  check(
    chat.reply.includes(`Challenge #${challenge.id}:`),
    `the coach's answer to ${asker.name} does not mention the challenge: ${chat.reply}`,
  );
  report.line(`${asker.name} asks the coach: "how am I doing?"`);
  for (const line of chat.reply.split("\n")) report.line(`  coach: ${line}`);
}

/** After the week: the oracle attests each participant who met it, and they claim their share back. */
async function weekAttestedAndClaimed(
  chapter: PoolChapter,
  challenge: Challenge,
  week: number,
  payouts: Payouts,
): Promise<void> {
  const { chain, report, plans } = chapter;
  const afterWeek = challenge.start + (week + 1) * WEEK + 2 * HOUR;
  await travelTo(chapter, afterWeek);
  report.step(`Pool week ${week + 1} is over: the oracle attests, those who met it claim`, afterWeek);
  await follow(chapter);
  for (const { who, weeks } of plans) {
    if (!weeks.includes(week)) continue;
    const commitmentId = commitmentOf(challenge, who);
    const attestation = await requestAttestation(
      session(challenge.sessions, who),
      commitmentId,
      week,
      `POST /api/commitments/${commitmentId}/milestones/${week}/attestation (${who.name})`,
    );
    const share = await milestoneAmount(chain, commitmentId, week);
    const before = await chain.balanceOf(who.address);
    const claimed = await minedAndSynced(
      chapter,
      claimMilestone(chain, who, commitmentId, week, attestation),
    );
    const after = await chain.balanceOf(who.address);
    check(
      after - before === share - claimed.fee,
      `${who.name}'s balance moved by ${after - before}, expected ${share} minus gas ${claimed.fee}`,
    );
    payouts.returned.set(who.address, (payouts.returned.get(who.address) ?? 0n) + share);
    report.field(
      who.name,
      `attested (evidence ${shortHash(attestation.evidenceHash)}), claimed week ${week + 1}: +${amount(share, ETH)} back (tx ${shortHash(claimed.hash)}, gas ${claimed.gasUsed.toLocaleString("en-US")})`,
    );
    report.transaction(`claimMilestone (${who.name}, pool week ${week + 1})`, who.name, claimed);
  }
}

/** Past the last claim deadline the keeper slashes what is left unmet; returns the pot the pool is owed. */
async function keeperSlashesMissedWeeks(chapter: PoolChapter, challenge: Challenge): Promise<bigint> {
  const { chain, agent, report, keeper, plans } = chapter;
  const end = challenge.start + POOL_WEEKS * WEEK + POOL_GRACE + HOUR;
  await travelTo(chapter, end);
  report.step("Past the last claim deadline: the keeper slashes the missed weeks to the pool", end);
  await follow(chapter);
  const run = await keeper.runOnce();
  await agent.syncClock();
  for (const hash of run.transactions) await chain.mined(hash);
  const creditAfter = await vaultCredits(chain, chain.pool, zeroAddress);
  report.field("keeper run", `due ${run.due}, slashed ${run.slashed} (Frank's week 3, to the pool)`);
  const expectedLost = plans.reduce(
    (sum, plan) => sum + (POOL_STAKE * BigInt(POOL_WEEKS - plan.weeks.length)) / BigInt(POOL_WEEKS),
    0n,
  );
  check(creditAfter === expectedLost, `the pool's vault credit is ${creditAfter}, expected ${expectedLost}`);
  for (const plan of plans) {
    const states = await milestoneStates(chain, commitmentOf(challenge, plan.who), POOL_WEEKS);
    const expected = [0, 1, 2].map((w) => (plan.weeks.includes(w) ? "Released" : "Slashed"));
    check(
      states.join() === expected.join(),
      `${plan.who.name}'s weeks are ${states.join(", ")}, expected ${expected.join(", ")}`,
    );
    report.field(plan.who.name, states.join(", "));
  }
  report.ok(`${amount(creditAfter, ETH)} of missed weeks credited to the pool in the vault`);
  return expectedLost;
}

/** The settler settles every participant; the pot splits into each finisher's winnings and Host's fee. */
async function settlerSettlesEveryone(
  chapter: PoolChapter,
  challenge: Challenge,
  expectedPot: bigint,
): Promise<{ winningsEach: bigint; fee: bigint }> {
  const { chain, agent, report, challengeSettler, plans } = chapter;
  report.step("The agent's settler settles every participant in the pool", await chain.latestTimestamp());
  await follow(chapter);
  const settled = await challengeSettler.runOnce();
  await agent.syncClock();
  for (const hash of settled.transactions) await chain.mined(hash);
  report.field(
    "settler run",
    `due ${settled.due}, settled ${settled.settled}, dropped ${settled.dropped.length}`,
  );
  const [, participants, settledCount, finishers, pot] = await poolContract(chain).read.challenge([
    challenge.id,
  ]);
  check(
    settledCount === participants && participants === plans.length,
    `${settledCount} of ${participants} participants settled, expected all ${plans.length}`,
  );
  check(finishers === 2, `${finishers} finishers, expected 2 (Carol and Dave)`);
  check(pot === expectedPot, `the pot is ${pot}, expected ${expectedPot}`);
  const winningsEach = (pot * BigInt(10_000 - POOL_FEE_BPS)) / 10_000n / BigInt(finishers);
  const fee = pot - winningsEach * BigInt(finishers);
  report.ok(
    `${settledCount} of ${participants} settled, ${finishers} finishers; pot ${amount(pot, ETH)} → ${amount(winningsEach, ETH)} each, fee and dust ${amount(fee, ETH)} to Host`,
  );
  return { winningsEach, fee };
}

/** Carol and Dave claim their winnings, Host withdraws the fee; returns Charity's fallback credit (none). */
async function finishersClaimAndHostWithdraws(
  chapter: PoolChapter,
  challenge: Challenge,
  winningsEach: bigint,
  fee: bigint,
  payouts: Payouts,
): Promise<bigint> {
  const { chain, report, plans } = chapter;
  const { carol, dave, host, charity } = chain.accounts;
  report.step("Carol and Dave claim their winnings; Host withdraws the fee", await chain.latestTimestamp());
  for (const who of [carol, dave]) {
    const before = await chain.balanceOf(who.address);
    const claimed = await minedAndSynced(chapter, poolAs(chain, who).write.claimWinnings([challenge.id]));
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
    payouts.winnings.set(who.address, won);
    report.field(
      who.name,
      `claimWinnings: +${amount(won, ETH)} (tx ${shortHash(claimed.hash)}, gas ${claimed.gasUsed.toLocaleString("en-US")})`,
    );
    report.transaction(`claimWinnings (${who.name})`, who.name, claimed);
  }
  const hostCredit = await poolCredits(chain, host.address);
  check(hostCredit === fee, `Host's credit in the pool is ${hostCredit}, expected the fee ${fee}`);
  const withdrawn = await minedAndSynced(chapter, poolAs(chain, host).write.withdraw([zeroAddress]));
  report.field("Host", `withdraw: +${amount(hostCredit, ETH)} fee (tx ${shortHash(withdrawn.hash)})`);
  report.transaction("withdraw fee (Host)", host.name, withdrawn);
  const fallback = await poolCredits(chain, charity.address);
  await follow(chapter);
  const closed = await challengeDetail(challenge, carol);
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
  report.ok(`GET /api/challenges/${challenge.id}: phase ${closed.phase}; ${standings}`);
  return fallback;
}

/** The balances table: every wei staked is returned, won, paid as the fee or sent to the fallback. */
async function printPoolBalances(
  chapter: PoolChapter,
  payouts: Payouts,
  fee: bigint,
  fallback: bigint,
): Promise<void> {
  const { chain, report, plans } = chapter;
  report.step("Pool balances in ETH (wei-exact; gas not counted)");
  const rows: string[][] = [];
  let totalIn = 0n;
  let totalOut = 0n;
  for (const plan of plans) {
    const back = payouts.returned.get(plan.who.address) ?? 0n;
    const won = payouts.winnings.get(plan.who.address) ?? 0n;
    totalIn += POOL_STAKE;
    totalOut += back + won;
    rows.push([
      plan.who.name,
      plan.story,
      formatEther(POOL_STAKE),
      formatEther(back),
      formatEther(won),
      formatEther(POOL_STAKE - back),
      "0",
      "0",
      signedEther(back + won - POOL_STAKE),
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
  const poolBalance = await chain.balanceOf(chain.pool);
  const vaultCredit = await vaultCredits(chain, chain.pool, zeroAddress);
  check(
    poolBalance === 0n && vaultCredit === 0n,
    `the pool still holds ${poolBalance} wei and ${vaultCredit} wei of vault credit`,
  );
  report.ok(
    `stakes in ${amount(totalIn, ETH)} = returned + winnings + fee + fallback ${amount(totalOut, ETH)}; the pool holds 0 ETH`,
  );
}
