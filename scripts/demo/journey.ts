/**
 * The story `npm run demo` tells, on a fresh chain with the agent in this process:
 * Alice stakes 0.3 ETH and Bob 300 USDC (with an EIP-2612 permit) on "3 workouts of 30 min a week"; the chain
 * travels into week 1; Alice uploads her watch's FIT, GPX and TCX files (and a car ride posing as a run, which
 * is rejected with its reason); the coach nudges Bob, who is behind, and answers "how am I doing?"; after the
 * window closes the oracle attests Alice's week and she claims her share; Bob's week passes its grace period
 * and the agent's keeper slashes it to the charity, which withdraws. Every step checks what it shows; the
 * first that does not hold throws and the demo exits 1.
 *
 * `runJourney` is the list of steps; each step below is one numbered section of the report.
 */
import { eip2612PermitTypedData } from "@resolution-autopilot/vocabulary";
import {
  type Address,
  type Hex,
  keccak256,
  parseEther,
  parseEventLogs,
  parseSignature,
  parseUnits,
  recoverAddress,
  toBytes,
  zeroAddress,
} from "viem";
import type { CommitmentView } from "../../agent/src/services/describeCommitment.ts";
import type { AttestationView } from "../../agent/src/services/issueAttestation.ts";
import type { WorkoutView } from "../../agent/src/services/workoutView.ts";
import { commitmentVaultAbi } from "../../deployments/abi.ts";
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
  milestoneState,
  milestoneStates,
  nextMondayMorning,
  requestAttestation,
  travelTo,
  usdcAs,
  usdcContract,
  vaultAs,
  vaultContract,
  vaultCredits,
  WEEK,
} from "./chapter.ts";
import { type AgentSession, expectStatus, type Problem, signIn } from "./demoAgent.ts";
import type { DemoAccount, DemoChain, MinedTransaction } from "./demoChain.ts";
import { type Asset, amount, type BalanceChange, ETH, shortHash } from "./report.ts";
import { aliceWeekFiles } from "./workoutFiles.ts";

const MILESTONES = 3;
const GRACE = 2 * DAY;

type AgentTasks = JourneyParameters["agent"]["agent"]["tasks"];

/** The chapter's parameters, the agent tasks it drives (checked present) and the mock USDC as an asset. */
interface SoloChapter extends JourneyParameters {
  USDC: Asset;
  indexer: NonNullable<AgentTasks["indexer"]>;
  keeper: NonNullable<AgentTasks["keeper"]>;
  coach: NonNullable<AgentTasks["coach"]>;
}

/** What both commitments share: the first week's Monday and the rules' hash. */
interface Terms {
  start: number;
  rulesHash: Hex;
}

/** Someone with a commitment: who, their agent session, the commitment's id and stake. */
interface Staker {
  who: DemoAccount;
  api: AgentSession;
  id: bigint;
  stake: bigint;
  asset: Asset;
}

export async function runJourney(parameters: JourneyParameters): Promise<void> {
  const chapter = soloChapter(parameters);
  await showTheLocalStack(chapter);
  await showThePeople(chapter);
  const bobStake = await bobGetsUsdc(chapter);
  const { aliceApi, bobApi, rulesHash } = await signInAndCanonicaliseRules(chapter);
  const now = await chapter.chain.latestTimestamp();
  const terms: Terms = { start: nextMondayMorning(now), rulesHash };
  const alice = await aliceStakesEth(chapter, terms, aliceApi, now);
  const bob = await bobStakesUsdcWithPermit(chapter, terms, bobApi, bobStake);
  await indexerPicksUpCommitments(chapter, terms, [alice, bob]);
  await aliceUploadsHerWeek(chapter, terms, alice);
  await coachNudgesBob(chapter, terms, alice, bob);
  const attestation = await oracleAttestsAlicesWeek(chapter, terms, alice);
  await aliceClaimsWeek1(chapter, alice, attestation);
  const bobShare = await keeperSlashesBobsWeek(chapter, terms, alice, bob);
  await charityWithdraws(chapter, bobShare);
  await printSummary(chapter, [alice, bob]);
}

function soloChapter(parameters: JourneyParameters): SoloChapter {
  const { indexer, keeper, coach } = parameters.agent.agent.tasks;
  check(indexer !== undefined, "the agent has no indexer task (is VAULT_ADDRESS set?)");
  check(
    keeper !== undefined,
    "the agent has no keeper task (it needs KEEPER_ENABLED=true and OPERATOR_PRIVATE_KEY)",
  );
  check(coach !== undefined, "the agent has no coach task");
  const USDC: Asset = { symbol: "USDC", decimals: 6, token: parameters.chain.usdc };
  return { ...parameters, USDC, indexer, keeper, coach };
}

/** Runs the vault's indexer until it has caught up with the chain. */
function index(chapter: SoloChapter): Promise<void> {
  return catchUp([chapter.indexer], "the indexer");
}

/** Someone whose balance the report shows: a person or a contract. */
type Party = Pick<DemoAccount, "name" | "address">;

/** Sends one transaction (`send` returns its hash), waits for it, and reads `parties`' balances around it. */
async function watch(
  { chain, agent }: SoloChapter,
  parties: readonly [Party, Asset][],
  send: () => Promise<Hex>,
): Promise<{ tx: MinedTransaction; changes: BalanceChange[] }> {
  const before = await Promise.all(parties.map(([p, asset]) => chain.balanceOf(p.address, asset.token)));
  const tx = await chain.mined(await send());
  await agent.syncClock();
  const after = await Promise.all(parties.map(([p, asset]) => chain.balanceOf(p.address, asset.token)));
  return {
    tx,
    changes: parties.map(([p, asset], i) => ({
      who: p.name,
      asset,
      before: before[i] ?? 0n,
      after: after[i] ?? 0n,
    })),
  };
}

/** `who` and the vault, each with `asset`: the parties a transaction between them moves. */
function withVault(chain: DemoChain, who: DemoAccount, asset: Asset): [Party, Asset][] {
  return [
    [who, asset],
    [{ name: "Vault", address: chain.vault }, asset],
  ];
}

async function showTheLocalStack({ chain, agent, report }: SoloChapter): Promise<void> {
  const { oracle, operator } = chain.accounts;
  report.step("The local stack", await chain.latestTimestamp());
  report.field("chain", `${chain.rpcUrl} (Hardhat node, chain id ${chain.chainId}, fresh)`);
  report.field("CommitmentVault", `${chain.vault} (deployed in block ${chain.deploymentBlock})`);
  report.field("mock USDC", `${chain.usdc} (6 decimals, EIP-2612 permit, allowlisted)`);
  report.field("agent", `${agent.url} (in this process; clock = chain time)`);
  report.field(
    "oracle",
    `${oracle.address} (Hardhat #${oracle.index}; the vault's only oracle, threshold 1)`,
  );
  report.field("keeper operator", `${operator.address} (Hardhat #${operator.index})`);
  check(
    agent.agent.oracle?.toLowerCase() === oracle.address.toLowerCase(),
    `the agent signs as ${agent.agent.oracle ?? "nobody"}, not as the vault's oracle ${oracle.address}`,
  );
}

async function showThePeople({ chain, report, USDC }: SoloChapter): Promise<void> {
  const { alice, bob, charity, operator } = chain.accounts;
  report.step("The people (Hardhat development accounts: 10,000 ETH each, on a local chain only)");
  for (const who of [alice, bob, charity, operator]) {
    const [eth, dollars] = await Promise.all([
      chain.balanceOf(who.address),
      chain.balanceOf(who.address, chain.usdc),
    ]);
    report.field(
      `${who.name} (#${who.index})`,
      `${who.address}  ${amount(eth, ETH)}, ${amount(dollars, USDC)}`,
    );
  }
  report.line(
    "Alice will stake ETH, Bob USDC; Charity is both commitments' beneficiary; Operator pays the keeper's gas.",
  );
}

/** Bob mints the 300 USDC he will stake; returns the amount. */
async function bobGetsUsdc(chapter: SoloChapter): Promise<bigint> {
  const { chain, report, USDC } = chapter;
  const { bob } = chain.accounts;
  report.step("Bob gets 300 USDC from the mock token's faucet", await chain.latestTimestamp());
  const bobStake = parseUnits("300", 6);
  const mint = await watch(chapter, [[bob, USDC]], () =>
    usdcAs(chain, bob).write.mint([bob.address, bobStake]),
  );
  report.transaction("USDC.mint (faucet)", bob.name, mint.tx);
  report.balances(mint.changes);
  return bobStake;
}

async function signInAndCanonicaliseRules({
  chain,
  agent,
  report,
}: SoloChapter): Promise<{ aliceApi: AgentSession; bobApi: AgentSession; rulesHash: Hex }> {
  const { alice, bob } = chain.accounts;
  report.step(
    "Alice and Bob sign in (SIWE) and the agent canonicalises their rules",
    await chain.latestTimestamp(),
  );
  const aliceApi = await signIn(agent, alice);
  const bobApi = await signIn(agent, bob);
  report.ok("Alice and Bob hold agent sessions (nonce → EIP-4361 message signed by their wallet → verify)");
  const rules = expectStatus(
    await aliceApi.post<{ rulesHash: Hex; canonical: string }>("/api/rules", { rules: DEMO_RULES }),
    200,
    "POST /api/rules",
  );
  report.field("rules (JCS)", rules.canonical);
  report.field("rulesHash", rules.rulesHash);
  check(
    keccak256(toBytes(rules.canonical)) === rules.rulesHash,
    `the agent's rulesHash ${rules.rulesHash} is not keccak256 of its canonical document`,
  );
  report.ok("rulesHash = keccak256(canonical document): anyone can recompute it");
  return { aliceApi, bobApi, rulesHash: rules.rulesHash };
}

/** The vault's `CreateParams` for a stake of `stake` in `token` on the demo's terms. */
function commitmentParams(chain: DemoChain, terms: Terms, token: Address, stake: bigint) {
  return {
    token,
    amount: stake,
    start: BigInt(terms.start),
    period: WEEK,
    milestones: MILESTONES,
    grace: GRACE,
    beneficiary: chain.accounts.charity.address,
    rulesHash: terms.rulesHash,
  };
}

function createdId(tx: MinedTransaction): bigint {
  const [created] = parseEventLogs({
    abi: commitmentVaultAbi,
    logs: tx.receipt.logs,
    eventName: "CommitmentCreated",
  });
  check(created !== undefined, `no CommitmentCreated event in ${tx.hash}`);
  return created.args.id;
}

/**
 * Sends the staker's create transaction (`send`), reports the new commitment, the transaction and the staker's
 * and the vault's balances around it.
 */
async function createCommitment(
  chapter: SoloChapter,
  staker: Omit<Staker, "id">,
  what: string,
  send: () => Promise<Hex>,
): Promise<Staker> {
  const { chain, report } = chapter;
  const { who, stake, asset } = staker;
  const create = await watch(chapter, withVault(chain, who, asset), send);
  const id = createdId(create.tx);
  report.field("commitment", `#${id}: ${amount(stake, asset)}, ${MILESTONES} × 1 week, grace 2 days`);
  report.transaction(what, who.name, create.tx);
  report.balances(create.changes);
  return { ...staker, id };
}

async function aliceStakesEth(
  chapter: SoloChapter,
  terms: Terms,
  api: AgentSession,
  now: number,
): Promise<Staker> {
  const { chain, report } = chapter;
  const { alice } = chain.accounts;
  report.step("Alice stakes 0.3 ETH: 3 weekly milestones from next Monday, Charity as beneficiary", now);
  const stake = parseEther("0.3");
  return createCommitment(chapter, { who: alice, api, stake, asset: ETH }, "createCommitment (ETH)", () =>
    vaultAs(chain, alice).write.createCommitment([commitmentParams(chain, terms, zeroAddress, stake)], {
      value: stake,
    }),
  );
}

async function bobStakesUsdcWithPermit(
  chapter: SoloChapter,
  terms: Terms,
  api: AgentSession,
  stake: bigint,
): Promise<Staker> {
  const { chain, report, USDC } = chapter;
  const { bob } = chain.accounts;
  report.step(
    "Bob stakes 300 USDC with an EIP-2612 permit (one transaction, no approve)",
    await chain.latestTimestamp(),
  );
  const [, tokenName, tokenVersion] = await usdcContract(chain).read.eip712Domain();
  const permitNonce = await usdcContract(chain).read.nonces([bob.address]);
  const permitDeadline = BigInt((await chain.latestTimestamp()) + HOUR);
  const permit = parseSignature(
    await bob.account.signTypedData(
      eip2612PermitTypedData({
        token: { name: tokenName, version: tokenVersion, chainId: chain.chainId, address: chain.usdc },
        owner: bob.address,
        spender: chain.vault,
        value: stake,
        nonce: permitNonce,
        deadline: permitDeadline,
      }),
    ),
  );
  report.field("permit", `signed off chain by Bob (nonce ${permitNonce}, value ${amount(stake, USDC)})`);
  const staker = { who: bob, api, stake, asset: USDC };
  return createCommitment(chapter, staker, "createCommitmentWithPermit (USDC)", () =>
    vaultAs(chain, bob).write.createCommitmentWithPermit([
      commitmentParams(chain, terms, chain.usdc, stake),
      permitDeadline,
      Number(permit.v ?? 27n + BigInt(permit.yParity)),
      permit.r,
      permit.s,
    ]),
  );
}

async function commitmentView({ api, id }: Staker): Promise<CommitmentView> {
  return expectStatus(
    await api.get<CommitmentView>(`/api/commitments/${id}`),
    200,
    `GET /api/commitments/${id}`,
  );
}

async function indexerPicksUpCommitments(
  chapter: SoloChapter,
  terms: Terms,
  stakers: readonly Staker[],
): Promise<void> {
  const { chain, report } = chapter;
  report.step("The agent's indexer picks the commitments up", await chain.latestTimestamp());
  await index(chapter);
  for (const staker of stakers) {
    const { id } = staker;
    const view = await commitmentView(staker);
    check(
      view.rulesHash === terms.rulesHash,
      `commitment ${id}: rulesHash ${view.rulesHash} on chain, ${terms.rulesHash} from the agent`,
    );
    check(view.rulesKnown, `commitment ${id}: the agent does not know its rules document`);
    const first = view.milestones[0];
    report.field(
      `${staker.who.name}'s #${id}`,
      `rulesHash on chain = the agent's; week 1 = ${first?.windowStart} → ${first?.windowEnd}, claim by ${first?.claimDeadline}`,
    );
  }
}

/** Thursday noon of week 1, Unix seconds. */
function thursdayNoon(terms: Terms): number {
  return terms.start + 3 * DAY + 6 * HOUR;
}

/** The report's lines for one uploaded workout; whether it was accepted. */
function reportWorkout(chapter: SoloChapter, w: WorkoutView): boolean {
  const { report } = chapter;
  const measures = `${w.sport}, ${w.startTime}, ${Math.round(w.durationSec / MINUTE)} min${
    w.distanceM === null ? "" : `, ${(w.distanceM / 1000).toFixed(2)} km`
  }${w.avgHeartRate === null ? "" : `, avg HR ${w.avgHeartRate}`}`;
  if (w.verdict.status !== "accepted") {
    report.line(`  → rejected: ${measures}`);
    for (const reason of w.verdict.reasons) report.line(`      ${reason.code}: ${reason.message}`);
    return false;
  }
  const counts = w.verdict.countsFor.map((c) => `#${c.commitmentId} week ${c.milestoneIndex + 1}`).join(", ");
  report.line(`  → accepted: ${measures}; counts for ${counts || "nothing"}`);
  for (const entry of w.verdict.notCounted) {
    for (const reason of entry.reasons)
      report.line(`      #${entry.commitmentId}: ${reason.code}: ${reason.message}`);
  }
  return true;
}

async function aliceUploadsHerWeek(chapter: SoloChapter, terms: Terms, alice: Staker): Promise<void> {
  const { report } = chapter;
  const { start } = terms;
  await travelTo(chapter, thursdayNoon(terms));
  report.step(
    "Time travel into week 1: Thursday noon. Alice uploads her week's device files",
    thursdayNoon(terms),
  );
  const files = aliceWeekFiles({
    monday: (start + 11 * HOUR) * 1000,
    tuesday: (start + DAY + 11 * HOUR + 30 * MINUTE) * 1000,
    wednesday: (start + 2 * DAY + HOUR) * 1000,
    thursday: (start + 3 * DAY + 2 * HOUR) * 1000,
  });
  let accepted = 0;
  let rejected = 0;
  for (const file of files) {
    const { workouts } = expectStatus(
      await alice.api.upload<{ workouts: WorkoutView[] }>("/api/workouts/upload", file.fileName, file.bytes),
      201,
      `POST /api/workouts/upload ${file.fileName}`,
    );
    report.field(file.fileName, `${file.description} (${file.bytes.length.toLocaleString("en-US")} bytes)`);
    for (const w of workouts) {
      if (reportWorkout(chapter, w)) accepted += 1;
      else rejected += 1;
    }
  }
  check(
    accepted === 3 && rejected === 1,
    `expected 3 accepted workouts and 1 rejected, got ${accepted} and ${rejected}`,
  );
  const aliceWeek1 = (await commitmentView(alice)).milestones[0];
  check(
    aliceWeek1?.progress?.met === true,
    `Alice's week 1 is not met: ${JSON.stringify(aliceWeek1?.progress)}`,
  );
  report.ok(
    `Alice's week 1: ${aliceWeek1.progress.done} of ${aliceWeek1.progress.required} qualifying workouts`,
  );
}

async function coachNudgesBob(chapter: SoloChapter, terms: Terms, alice: Staker, bob: Staker): Promise<void> {
  const { report, coach } = chapter;
  report.step("The coach's pass: Bob has done nothing this week", thursdayNoon(terms));
  const pass = await coach.runPass();
  report.field("coach pass", `${pass.commitments} commitments: ${JSON.stringify(pass.outcomes)}`);
  const { nudges } = expectStatus(
    await bob.api.get<{ nudges: { message: string; reason: string; at: string }[] }>("/api/nudges"),
    200,
    "GET /api/nudges (Bob)",
  );
  check(nudges.length > 0, "the coach sent Bob no nudge although he is behind");
  for (const n of nudges) report.line(`nudge → Bob [${n.reason}, ${n.at}]: "${n.message}"`);
  const aliceNudges = expectStatus(
    await alice.api.get<{ nudges: unknown[] }>("/api/nudges"),
    200,
    "GET /api/nudges (Alice)",
  ).nudges;
  report.field("Alice's nudges", `${aliceNudges.length} (she is on track)`);
  const chat = expectStatus(
    await bob.api.post<{ reply: string; toolCalls: { name: string; ok: boolean }[] }>("/api/agent", {
      message: "how am I doing?",
    }),
    200,
    "POST /api/agent",
  );
  report.line('Bob asks the coach: "how am I doing?"');
  for (const line of chat.reply.split("\n")) report.line(`  coach: ${line}`);
  report.field(
    "tools used",
    chat.toolCalls.map((t) => `${t.name}${t.ok ? "" : " (failed)"}`).join(", ") || "none",
  );
  const refused = await bob.api.post<Problem>(`/api/commitments/${bob.id}/milestones/0/attestation`);
  check(refused.status === 409, `Bob's attestation request answered ${refused.status}, expected 409`);
  report.line(
    `Bob asks the oracle for week 1's attestation → 409 ${refused.body.code}: ${refused.body.detail}`,
  );
}

async function oracleAttestsAlicesWeek(
  chapter: SoloChapter,
  terms: Terms,
  alice: Staker,
): Promise<AttestationView> {
  const { chain, report } = chapter;
  const { oracle } = chain.accounts;
  const mondayAfter = terms.start + WEEK + 2 * HOUR;
  await travelTo(chapter, mondayAfter);
  report.step("Time travel past week 1's end: the oracle attests Alice's week", mondayAfter);
  const attestation = await requestAttestation(alice.api, alice.id, 0);
  report.field("signer", attestation.signer);
  report.field("evidenceHash", attestation.evidenceHash);
  report.field("validUntil", `${attestation.validUntil} (the claim deadline minus one second)`);
  report.field("signature", shortHash(attestation.signature));
  const digest = await vaultContract(chain).read.hashAttestation([
    alice.id,
    0n,
    attestation.evidenceHash,
    BigInt(attestation.validUntil),
  ]);
  const recovered = await recoverAddress({ hash: digest, signature: attestation.signature });
  check(
    recovered === oracle.address,
    `the vault's digest recovers to ${recovered}, not the oracle ${oracle.address}`,
  );
  report.ok("the vault's own EIP-712 digest (hashAttestation) recovers to the oracle");
  return attestation;
}

async function aliceClaimsWeek1(
  chapter: SoloChapter,
  alice: Staker,
  attestation: AttestationView,
): Promise<void> {
  const { chain, report } = chapter;
  report.step("Alice claims week 1 from her wallet", await chain.latestTimestamp());
  const share = await milestoneAmount(chain, alice.id, 0);
  const claim = await watch(chapter, withVault(chain, alice.who, ETH), () =>
    claimMilestone(chain, alice.who, alice.id, 0, attestation),
  );
  report.transaction("claimMilestone (week 1)", alice.who.name, claim.tx);
  report.balances(claim.changes);
  const aliceChange = claim.changes[0];
  check(aliceChange !== undefined, "no balance change recorded for Alice");
  const received = aliceChange.after - aliceChange.before;
  check(
    received === share - claim.tx.fee,
    `Alice's balance moved by ${received} wei, expected the share ${share} minus the fee ${claim.tx.fee}`,
  );
  check(
    share === alice.stake / BigInt(MILESTONES),
    `the share is ${share} wei, expected a third of the stake`,
  );
  report.ok(
    `claim: Alice's balance +${amount(received, ETH)} = milestone share ${amount(share, ETH)} − gas fee ${amount(claim.tx.fee, ETH)}`,
  );
  const state = await milestoneState(chain, alice.id, 0);
  check(state === "Released", `Alice's week 1 is ${state} on chain, expected Released`);
}

/** The keeper slashes Bob's missed week 1 to Charity's credit; returns the share slashed. */
async function keeperSlashesBobsWeek(
  chapter: SoloChapter,
  terms: Terms,
  alice: Staker,
  bob: Staker,
): Promise<bigint> {
  const { chain, agent, report, keeper, USDC } = chapter;
  const { charity, operator } = chain.accounts;
  const afterGrace = terms.start + WEEK + GRACE + HOUR;
  await travelTo(chapter, afterGrace);
  report.step("Time travel past week 1's grace period: the agent's keeper slashes Bob's week", afterGrace);
  await index(chapter);
  const creditsBefore = await vaultCredits(chain, charity.address, chain.usdc);
  const operatorBefore = await chain.balanceOf(operator.address);
  const run = await keeper.runOnce();
  await agent.syncClock();
  report.field("keeper run", `due ${run.due}, slashed ${run.slashed}, dropped ${run.dropped.length}`);
  check(
    run.slashed === 1 && run.transactions.length >= 1,
    `the keeper slashed ${run.slashed} milestones, expected 1`,
  );
  for (const hash of run.transactions)
    report.transaction("slash via multicall (keeper)", operator.name, await chain.mined(hash));
  const creditsAfter = await vaultCredits(chain, charity.address, chain.usdc);
  report.balances([
    {
      who: operator.name,
      asset: ETH,
      before: operatorBefore,
      after: await chain.balanceOf(operator.address),
    },
    { who: `${charity.name} credit`, asset: USDC, before: creditsBefore, after: creditsAfter },
  ]);
  const bobShare = await milestoneAmount(chain, bob.id, 0);
  check(
    creditsAfter - creditsBefore === bobShare,
    `Charity was credited ${creditsAfter - creditsBefore}, expected ${bobShare}`,
  );
  const [bobState, aliceState] = [
    await milestoneState(chain, bob.id, 0),
    await milestoneState(chain, alice.id, 0),
  ];
  check(bobState === "Slashed", `Bob's week 1 is ${bobState} on chain, expected Slashed`);
  check(aliceState === "Released", `Alice's week 1 is ${aliceState}: the keeper must not touch it`);
  report.ok(
    `slash: keeper slashed commitment #${bob.id} week 1 (tx ${shortHash(run.transactions[0] ?? "0x")}): ${amount(bobShare, USDC)} credited to Charity`,
  );
  return bobShare;
}

async function charityWithdraws(chapter: SoloChapter, credit: bigint): Promise<void> {
  const { chain, report, USDC } = chapter;
  const { charity } = chain.accounts;
  report.step("Charity withdraws its credit", await chain.latestTimestamp());
  const withdrawal = await watch(chapter, withVault(chain, charity, USDC), () =>
    vaultAs(chain, charity).write.withdraw([chain.usdc]),
  );
  report.transaction("withdraw (USDC)", charity.name, withdrawal.tx);
  report.balances(withdrawal.changes);
  check(
    withdrawal.changes[0]?.after === (withdrawal.changes[0]?.before ?? 0n) + credit,
    "Charity did not receive its credit",
  );
  await index(chapter);
}

/** The transactions table, each commitment's milestones on chain and in the agent, and what the vault holds. */
async function printSummary({ chain, report, USDC }: SoloChapter, stakers: readonly Staker[]): Promise<void> {
  report.summary();
  report.line();
  const rows: string[][] = [];
  for (const staker of stakers) {
    const { id } = staker;
    const states = await milestoneStates(chain, id, MILESTONES);
    const view = await commitmentView(staker);
    const seen = view.milestones.map((m) => m.state);
    check(
      seen.join() === states.join(),
      `the agent sees #${id} as ${seen.join(", ")}, the chain as ${states.join(", ")}`,
    );
    rows.push([
      `#${id}`,
      staker.who.name,
      amount(BigInt(view.amount), staker.asset),
      states.join(", "),
      seen.join(", "),
    ]);
  }
  report.table(["commitment", "owner", "stake", "milestones on chain", "as the agent sees them"], rows);
  report.line();
  report.table(
    ["vault holds", "amount"],
    [
      ["ETH", amount(await chain.balanceOf(chain.vault), ETH)],
      ["USDC", amount(await chain.balanceOf(chain.vault, chain.usdc), USDC)],
    ],
  );
}
