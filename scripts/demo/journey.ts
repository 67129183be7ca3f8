/**
 * The story `npm run demo` tells, on a fresh chain with the agent in this process:
 * Alice stakes 0.3 ETH and Bob 300 USDC (with an EIP-2612 permit) on "3 workouts of 30 min a week"; the chain
 * travels into week 1; Alice uploads her watch's FIT, GPX and TCX files (and a car ride posing as a run, which
 * is rejected with its reason); the coach nudges Bob, who is behind, and answers "how am I doing?"; after the
 * window closes the oracle attests Alice's week and she claims her share; Bob's week passes its grace period
 * and the agent's keeper slashes it to the charity, which withdraws. Every step checks what it shows; the
 * first that does not hold throws and the demo exits 1.
 */
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
import { commitmentVaultAbi, mockERC20PermitAbi } from "../../deployments/abi.ts";
import type { CommitmentView } from "../../agent/src/services/describeCommitment.ts";
import type { AttestationView } from "../../agent/src/services/issueAttestation.ts";
import type { WorkoutView } from "../../agent/src/services/workoutView.ts";
import { type DemoAgent, expectStatus, type Problem, signIn } from "./demoAgent.ts";
import type { DemoAccount, DemoChain, MinedTransaction } from "./demoChain.ts";
import { amount, type Asset, type BalanceChange, ETH, type Report, shortHash } from "./report.ts";
import { aliceWeekFiles } from "./workoutFiles.ts";

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;
const WEEK = 7 * DAY;

/** The rules both commitments use (PRODUCT.md's example). */
export const DEMO_RULES = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
} as const;

const MILESTONES = 3;
const GRACE = 2 * DAY;
const MILESTONE_STATES = ["Open", "Released", "Slashed", "Refunded"] as const;

export interface JourneyParameters {
  chain: DemoChain;
  agent: DemoAgent;
  report: Report;
}

/** Thrown when something the demo shows does not hold. */
export class JourneyCheckError extends Error {}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new JourneyCheckError(message);
}

/** The first Monday 06:00 UTC at least an hour after `seconds`. */
export function nextMondayMorning(seconds: number): number {
  const from = new Date((seconds + HOUR) * 1000);
  const midnight = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()) / 1000;
  let monday = midnight + ((8 - from.getUTCDay()) % 7) * DAY + 6 * HOUR;
  if (monday < seconds + HOUR) monday += WEEK;
  return monday;
}

export async function runJourney({ chain, agent, report }: JourneyParameters): Promise<void> {
  const { accounts, client, vault, usdc } = chain;
  const { alice, bob, charity, operator, oracle } = accounts;
  const USDC: Asset = { symbol: "USDC", decimals: 6, token: usdc };
  const tasks = agent.agent.tasks;
  const { indexer, keeper, coach } = tasks;
  check(indexer !== undefined, "the agent has no indexer task (is VAULT_ADDRESS set?)");
  check(
    keeper !== undefined,
    "the agent has no keeper task (it needs KEEPER_ENABLED=true and OPERATOR_PRIVATE_KEY)",
  );
  check(coach !== undefined, "the agent has no coach task");

  /** Runs the indexer until it has caught up with the chain. */
  const index = async () => {
    for (let run = 0; run < 20; run += 1) {
      const result = await indexer.runOnce();
      if (result.caughtUp) return;
    }
    throw new JourneyCheckError("the indexer did not catch up with the chain in 20 runs");
  };
  const travelTo = async (seconds: number) => {
    await chain.travelTo(seconds);
    await agent.syncClock();
  };
  /** Sends one transaction (`send` returns its hash), waits for it, and reads `parties`' balances around it. */
  const watch = async (
    parties: readonly [DemoAccount | { name: string; address: Address }, Asset][],
    send: () => Promise<Hex>,
  ): Promise<{ tx: MinedTransaction; changes: BalanceChange[] }> => {
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
  };
  const milestoneState = async (id: bigint, index: number) =>
    MILESTONE_STATES[
      await client.readContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "milestoneState",
        args: [id, BigInt(index)],
      })
    ];
  const vaultParty = { name: "Vault", address: vault };

  // ----------------------------------------------------------------------------------------------------------
  report.step("The local stack", await chain.latestTimestamp());
  report.field("chain", `${chain.rpcUrl} (Hardhat node, chain id ${chain.chainId}, fresh)`);
  report.field("CommitmentVault", `${vault} (deployed in block ${chain.deploymentBlock})`);
  report.field("mock USDC", `${usdc} (6 decimals, EIP-2612 permit, allowlisted)`);
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

  // ----------------------------------------------------------------------------------------------------------
  report.step("The people (Hardhat development accounts: 10,000 ETH each, on a local chain only)");
  for (const who of [alice, bob, charity, operator]) {
    const [eth, dollars] = await Promise.all([
      chain.balanceOf(who.address),
      chain.balanceOf(who.address, usdc),
    ]);
    report.field(
      `${who.name} (#${who.index})`,
      `${who.address}  ${amount(eth, ETH)}, ${amount(dollars, USDC)}`,
    );
  }
  report.line(
    "Alice will stake ETH, Bob USDC; Charity is both commitments' beneficiary; Operator pays the keeper's gas.",
  );

  report.step("Bob gets 300 USDC from the mock token's faucet", await chain.latestTimestamp());
  const bobStake = parseUnits("300", 6);
  const mint = await watch([[bob, USDC]], () =>
    chain.wallet(bob).writeContract({
      address: usdc,
      abi: mockERC20PermitAbi,
      functionName: "mint",
      args: [bob.address, bobStake],
    }),
  );
  report.transaction("USDC.mint (faucet)", bob.name, mint.tx);
  report.balances(mint.changes);

  // ----------------------------------------------------------------------------------------------------------
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

  // ----------------------------------------------------------------------------------------------------------
  const now = await chain.latestTimestamp();
  const start = nextMondayMorning(now);
  const params = (token: Address, stake: bigint) => ({
    token,
    amount: stake,
    start: BigInt(start),
    period: WEEK,
    milestones: MILESTONES,
    grace: GRACE,
    beneficiary: charity.address,
    rulesHash: rules.rulesHash,
  });
  const createdId = (tx: MinedTransaction): bigint => {
    const [created] = parseEventLogs({
      abi: commitmentVaultAbi,
      logs: tx.receipt.logs,
      eventName: "CommitmentCreated",
    });
    check(created !== undefined, `no CommitmentCreated event in ${tx.hash}`);
    return created.args.id;
  };

  report.step("Alice stakes 0.3 ETH: 3 weekly milestones from next Monday, Charity as beneficiary", now);
  const aliceStake = parseEther("0.3");
  const aliceCreate = await watch(
    [
      [alice, ETH],
      [vaultParty, ETH],
    ],
    () =>
      chain.wallet(alice).writeContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "createCommitment",
        args: [params(zeroAddress, aliceStake)],
        value: aliceStake,
      }),
  );
  const aliceId = createdId(aliceCreate.tx);
  report.field("commitment", `#${aliceId}: ${amount(aliceStake, ETH)}, ${MILESTONES} × 1 week, grace 2 days`);
  report.transaction("createCommitment (ETH)", alice.name, aliceCreate.tx);
  report.balances(aliceCreate.changes);

  report.step(
    "Bob stakes 300 USDC with an EIP-2612 permit (one transaction, no approve)",
    await chain.latestTimestamp(),
  );
  const [, tokenName, tokenVersion] = await client.readContract({
    address: usdc,
    abi: mockERC20PermitAbi,
    functionName: "eip712Domain",
  });
  const permitNonce = await client.readContract({
    address: usdc,
    abi: mockERC20PermitAbi,
    functionName: "nonces",
    args: [bob.address],
  });
  const permitDeadline = BigInt((await chain.latestTimestamp()) + HOUR);
  const permit = parseSignature(
    await bob.account.signTypedData({
      domain: { name: tokenName, version: tokenVersion, chainId: chain.chainId, verifyingContract: usdc },
      types: {
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      primaryType: "Permit",
      message: {
        owner: bob.address,
        spender: vault,
        value: bobStake,
        nonce: permitNonce,
        deadline: permitDeadline,
      },
    }),
  );
  report.field("permit", `signed off chain by Bob (nonce ${permitNonce}, value ${amount(bobStake, USDC)})`);
  const bobCreate = await watch(
    [
      [bob, USDC],
      [vaultParty, USDC],
    ],
    () =>
      chain.wallet(bob).writeContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "createCommitmentWithPermit",
        args: [
          params(usdc, bobStake),
          permitDeadline,
          Number(permit.v ?? 27n + BigInt(permit.yParity)),
          permit.r,
          permit.s,
        ],
      }),
  );
  const bobId = createdId(bobCreate.tx);
  report.field("commitment", `#${bobId}: ${amount(bobStake, USDC)}, ${MILESTONES} × 1 week, grace 2 days`);
  report.transaction("createCommitmentWithPermit (USDC)", bob.name, bobCreate.tx);
  report.balances(bobCreate.changes);

  // ----------------------------------------------------------------------------------------------------------
  report.step("The agent's indexer picks the commitments up", await chain.latestTimestamp());
  await index();
  for (const [api, id] of [
    [aliceApi, aliceId],
    [bobApi, bobId],
  ] as const) {
    const view = expectStatus(
      await api.get<CommitmentView>(`/api/commitments/${id}`),
      200,
      `GET /api/commitments/${id}`,
    );
    check(
      view.rulesHash === rules.rulesHash,
      `commitment ${id}: rulesHash ${view.rulesHash} on chain, ${rules.rulesHash} from the agent`,
    );
    check(view.rulesKnown, `commitment ${id}: the agent does not know its rules document`);
    const first = view.milestones[0];
    report.field(
      `${api.who.name}'s #${id}`,
      `rulesHash on chain = the agent's; week 1 = ${first?.windowStart} → ${first?.windowEnd}, claim by ${first?.claimDeadline}`,
    );
  }

  // ----------------------------------------------------------------------------------------------------------
  const thursdayNoon = start + 3 * DAY + 6 * HOUR;
  await travelTo(thursdayNoon);
  report.step("Time travel into week 1: Thursday noon. Alice uploads her week's device files", thursdayNoon);
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
      await aliceApi.upload<{ workouts: WorkoutView[] }>("/api/workouts/upload", file.fileName, file.bytes),
      201,
      `POST /api/workouts/upload ${file.fileName}`,
    );
    report.field(file.fileName, `${file.description} (${file.bytes.length.toLocaleString("en-US")} bytes)`);
    for (const w of workouts) {
      const measures = `${w.sport}, ${w.startTime}, ${Math.round(w.durationSec / MINUTE)} min${
        w.distanceM === null ? "" : `, ${(w.distanceM / 1000).toFixed(2)} km`
      }${w.avgHeartRate === null ? "" : `, avg HR ${w.avgHeartRate}`}`;
      if (w.verdict.status === "accepted") {
        accepted += 1;
        const counts = w.verdict.countsFor
          .map((c) => `#${c.commitmentId} week ${c.milestoneIndex + 1}`)
          .join(", ");
        report.line(`  → accepted: ${measures}; counts for ${counts || "nothing"}`);
        for (const entry of w.verdict.notCounted) {
          for (const reason of entry.reasons)
            report.line(`      #${entry.commitmentId}: ${reason.code}: ${reason.message}`);
        }
      } else {
        rejected += 1;
        report.line(`  → rejected: ${measures}`);
        for (const reason of w.verdict.reasons) report.line(`      ${reason.code}: ${reason.message}`);
      }
    }
  }
  check(
    accepted === 3 && rejected === 1,
    `expected 3 accepted workouts and 1 rejected, got ${accepted} and ${rejected}`,
  );
  const aliceMidweek = expectStatus(
    await aliceApi.get<CommitmentView>(`/api/commitments/${aliceId}`),
    200,
    `GET /api/commitments/${aliceId}`,
  );
  const aliceWeek1 = aliceMidweek.milestones[0];
  check(
    aliceWeek1?.progress?.met === true,
    `Alice's week 1 is not met: ${JSON.stringify(aliceWeek1?.progress)}`,
  );
  report.ok(
    `Alice's week 1: ${aliceWeek1.progress.done} of ${aliceWeek1.progress.required} qualifying workouts`,
  );

  // ----------------------------------------------------------------------------------------------------------
  report.step("The coach's pass: Bob has done nothing this week", thursdayNoon);
  const pass = await coach.runPass();
  report.field("coach pass", `${pass.commitments} commitments: ${JSON.stringify(pass.outcomes)}`);
  const { nudges } = expectStatus(
    await bobApi.get<{ nudges: { message: string; reason: string; at: string }[] }>("/api/nudges"),
    200,
    "GET /api/nudges (Bob)",
  );
  check(nudges.length > 0, "the coach sent Bob no nudge although he is behind");
  for (const n of nudges) report.line(`nudge → Bob [${n.reason}, ${n.at}]: "${n.message}"`);
  const aliceNudges = expectStatus(
    await aliceApi.get<{ nudges: unknown[] }>("/api/nudges"),
    200,
    "GET /api/nudges (Alice)",
  ).nudges;
  report.field("Alice's nudges", `${aliceNudges.length} (she is on track)`);
  const chat = expectStatus(
    await bobApi.post<{ reply: string; toolCalls: { name: string; ok: boolean }[] }>("/api/agent", {
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
  const refused = await bobApi.post<Problem>(`/api/commitments/${bobId}/milestones/0/attestation`);
  check(refused.status === 409, `Bob's attestation request answered ${refused.status}, expected 409`);
  report.line(
    `Bob asks the oracle for week 1's attestation → 409 ${refused.body.code}: ${refused.body.detail}`,
  );

  // ----------------------------------------------------------------------------------------------------------
  const week1End = start + WEEK;
  const mondayAfter = week1End + 2 * HOUR;
  await travelTo(mondayAfter);
  report.step("Time travel past week 1's end: the oracle attests Alice's week", mondayAfter);
  const attestation = expectStatus(
    await aliceApi.post<AttestationView>(`/api/commitments/${aliceId}/milestones/0/attestation`),
    200,
    `POST /api/commitments/${aliceId}/milestones/0/attestation`,
  );
  report.field("signer", attestation.signer);
  report.field("evidenceHash", attestation.evidenceHash);
  report.field("validUntil", `${attestation.validUntil} (the claim deadline minus one second)`);
  report.field("signature", shortHash(attestation.signature));
  const digest = await client.readContract({
    address: vault,
    abi: commitmentVaultAbi,
    functionName: "hashAttestation",
    args: [aliceId, 0n, attestation.evidenceHash, BigInt(attestation.validUntil)],
  });
  const recovered = await recoverAddress({ hash: digest, signature: attestation.signature });
  check(
    recovered === oracle.address,
    `the vault's digest recovers to ${recovered}, not the oracle ${oracle.address}`,
  );
  report.ok("the vault's own EIP-712 digest (hashAttestation) recovers to the oracle");

  // ----------------------------------------------------------------------------------------------------------
  report.step("Alice claims week 1 from her wallet", await chain.latestTimestamp());
  const share = await client.readContract({
    address: vault,
    abi: commitmentVaultAbi,
    functionName: "milestoneAmount",
    args: [aliceId, 0n],
  });
  const claim = await watch(
    [
      [alice, ETH],
      [vaultParty, ETH],
    ],
    () =>
      chain.wallet(alice).writeContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "claimMilestone",
        args: [
          aliceId,
          0n,
          attestation.evidenceHash,
          BigInt(attestation.validUntil),
          [attestation.signature],
        ],
      }),
  );
  report.transaction("claimMilestone (week 1)", alice.name, claim.tx);
  report.balances(claim.changes);
  const aliceChange = claim.changes[0];
  check(aliceChange !== undefined, "no balance change recorded for Alice");
  const received = aliceChange.after - aliceChange.before;
  check(
    received === share - claim.tx.fee,
    `Alice's balance moved by ${received} wei, expected the share ${share} minus the fee ${claim.tx.fee}`,
  );
  check(
    share === aliceStake / BigInt(MILESTONES),
    `the share is ${share} wei, expected a third of the stake`,
  );
  report.ok(
    `claim: Alice's balance +${amount(received, ETH)} = milestone share ${amount(share, ETH)} − gas fee ${amount(claim.tx.fee, ETH)}`,
  );
  const state = await milestoneState(aliceId, 0);
  check(state === "Released", `Alice's week 1 is ${state} on chain, expected Released`);

  // ----------------------------------------------------------------------------------------------------------
  const deadline = week1End + GRACE;
  const afterGrace = deadline + HOUR;
  await travelTo(afterGrace);
  report.step("Time travel past week 1's grace period: the agent's keeper slashes Bob's week", afterGrace);
  await index();
  const creditsOf = () =>
    client.readContract({
      address: vault,
      abi: commitmentVaultAbi,
      functionName: "credits",
      args: [charity.address, usdc],
    });
  const creditsBefore = await creditsOf();
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
  const creditsAfter = await creditsOf();
  report.balances([
    {
      who: operator.name,
      asset: ETH,
      before: operatorBefore,
      after: await chain.balanceOf(operator.address),
    },
    { who: `${charity.name} credit`, asset: USDC, before: creditsBefore, after: creditsAfter },
  ]);
  const bobShare = await client.readContract({
    address: vault,
    abi: commitmentVaultAbi,
    functionName: "milestoneAmount",
    args: [bobId, 0n],
  });
  check(
    creditsAfter - creditsBefore === bobShare,
    `Charity was credited ${creditsAfter - creditsBefore}, expected ${bobShare}`,
  );
  const [bobState, aliceState] = [await milestoneState(bobId, 0), await milestoneState(aliceId, 0)];
  check(bobState === "Slashed", `Bob's week 1 is ${bobState} on chain, expected Slashed`);
  check(aliceState === "Released", `Alice's week 1 is ${aliceState}: the keeper must not touch it`);
  report.ok(
    `slash: keeper slashed commitment #${bobId} week 1 (tx ${shortHash(run.transactions[0] ?? "0x")}): ${amount(bobShare, USDC)} credited to Charity`,
  );

  // ----------------------------------------------------------------------------------------------------------
  report.step("Charity withdraws its credit", await chain.latestTimestamp());
  const withdrawal = await watch(
    [
      [charity, USDC],
      [vaultParty, USDC],
    ],
    () =>
      chain.wallet(charity).writeContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "withdraw",
        args: [usdc],
      }),
  );
  report.transaction("withdraw (USDC)", charity.name, withdrawal.tx);
  report.balances(withdrawal.changes);
  check(
    withdrawal.changes[0]?.after === (withdrawal.changes[0]?.before ?? 0n) + bobShare,
    "Charity did not receive its credit",
  );
  await index();

  // ----------------------------------------------------------------------------------------------------------
  report.summary();
  report.line();
  const rows: string[][] = [];
  for (const [who, id, asset] of [
    [alice, aliceId, ETH],
    [bob, bobId, USDC],
  ] as const) {
    const states = [];
    for (let i = 0; i < MILESTONES; i += 1) states.push(await milestoneState(id, i));
    const view = expectStatus(
      await (who === alice ? aliceApi : bobApi).get<CommitmentView>(`/api/commitments/${id}`),
      200,
      `GET /api/commitments/${id}`,
    );
    const seen = view.milestones.map((m) => m.state);
    check(
      seen.join() === states.join(),
      `the agent sees #${id} as ${seen.join(", ")}, the chain as ${states.join(", ")}`,
    );
    rows.push([`#${id}`, who.name, amount(BigInt(view.amount), asset), states.join(", "), seen.join(", ")]);
  }
  report.table(["commitment", "owner", "stake", "milestones on chain", "as the agent sees them"], rows);
  report.line();
  report.table(
    ["vault holds", "amount"],
    [
      ["ETH", amount(await chain.balanceOf(vault), ETH)],
      ["USDC", amount(await chain.balanceOf(vault, usdc), USDC)],
    ],
  );
}
