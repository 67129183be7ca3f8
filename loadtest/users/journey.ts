/**
 * One simulated user's whole journey, in the order PRODUCT.md tells it: SIWE sign-in → rules → a commitment on
 * chain (ETH, or USDC with an EIP-2612 permit) → device files uploaded into its windows (some retried after a
 * client timeout with the same Idempotency-Key, some double-submitted) → a question to the coach → claims (the
 * user's own transaction with the oracle's attestation, a gasless POST .../claim, or left to the agent's
 * auto-settle). Missed windows are left for the keeper. Waits are in chain time (ChainTime).
 *
 * The journey returns what it did and what the agent answered (UserOutcome): the audit compares that with the
 * chain and the database.
 */
import { randomUUID } from "node:crypto";
import { eip2612PermitTypedData } from "@resolution-autopilot/vocabulary";
import {
  type Address,
  type Chain,
  createWalletClient,
  decodeEventLog,
  type Hash,
  type Hex,
  http,
  parseSignature,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { commitmentVaultAbi, mockERC20PermitAbi } from "../../deployments/abi.ts";
import type { ChainTime } from "./chainTime.ts";
import type { ReplicaClient } from "./replicaClient.ts";
import { type ClaimMode, RULES, STAKE, type StakeToken, type UserPlan } from "./userPlan.ts";
import { workoutFile } from "./workoutFiles.ts";

/**
 * Window length (the vault's minimum), grace, and the lead between creating a commitment and its start (s). The
 * grace is 6 h of chain time, 3 min of wall time at x120: at 2 h (one wall minute, shorter than the RPC fault and
 * its backlog) met milestones passed their deadlines before auto-settle reached them (run 6: 103), which is the
 * compression's limit, not the agent's (a real grace is hours of real time).
 */
export const PERIOD_SEC = 3600;
export const GRACE_SEC = 6 * 3600;
export const LEAD_SEC = 10 * 60;
/** Workouts of a window start this long after the window opens, and last WORKOUT_SEC. */
const WORKOUT_OFFSETS_SEC = [5 * 60, 30 * 60];
const WORKOUT_SEC = 16 * 60;
/** The user uploads this long after the workout ended (the agents read the chain's time every second). */
const UPLOAD_DELAY_SEC = 4 * 60;

export interface JourneyContext {
  client: ReplicaClient;
  publicClient: PublicClient;
  chain: Chain;
  rpcUrl: string;
  time: ChainTime;
  vault: Address;
  usdc: Address;
  beneficiary: Address;
  fund(address: Address): Promise<void>;
}

export interface UploadOutcome {
  milestoneIndex: number;
  /** 2xx: the workouts the agent answered with; otherwise the status of the last attempt. */
  status: number;
  workouts: { id: string; contentHash: string; status: string; reasons: string[] }[];
  variant: "plain" | "retried" | "double";
}

export interface MilestoneOutcome {
  index: number;
  /** Workouts uploaded and answered `accepted` for this window. */
  accepted: number;
  /** An upload for this window never got a definitive answer: the agent may have stored it or not. */
  uncertain: boolean;
  claim: ClaimMode;
  /** What the user's claim attempt got: "released" (its own tx), "already" (someone was first), "relayed", an error. */
  claimResult?: string;
}

export interface UserOutcome {
  index: number;
  address: Address;
  token: StakeToken;
  commitmentId?: bigint;
  start?: number;
  milestones: MilestoneOutcome[];
  uploads: UploadOutcome[];
  /** The step a journey stopped at, when it could not finish. */
  failedAt?: string;
  error?: string;
}

class JourneyError extends Error {
  readonly step: string;
  constructor(step: string, message: string) {
    super(`${step}: ${message}`);
    this.step = step;
  }
}

async function signIn(ctx: JourneyContext, plan: UserPlan): Promise<string> {
  const account = privateKeyToAccount(plan.key);
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const nonce = await ctx.client.call({
      method: "POST",
      path: "/api/auth/nonce",
      route: "POST /api/auth/nonce",
    });
    if (nonce.status !== 200) continue;
    const n = nonce.body as { nonce: string; domain: string; uri: string; chainId: number };
    const message = createSiweMessage({
      address: account.address,
      chainId: n.chainId,
      domain: n.domain,
      nonce: n.nonce,
      uri: n.uri,
      version: "1",
      // The agents read the chain's time once a second; a message stamped with the newest block could be
      // "issued in the future" for a replica that has not read it yet: stamp it a few steps earlier.
      issuedAt: new Date((ctx.time.now() - 3 * ctx.time.speedup) * 1000),
    });
    const signature = await account.signMessage({ message });
    const verify = await ctx.client.call({
      method: "POST",
      path: "/api/auth/verify",
      route: "POST /api/auth/verify",
      json: { message, signature },
    });
    const cookie = verify.headers.get("set-cookie")?.split(";")[0];
    if (verify.status === 200 && cookie?.startsWith("ra_session=")) return cookie;
  }
  throw new JourneyError("sign-in", "no session after 5 attempts");
}

async function registerRules(ctx: JourneyContext, cookie: string): Promise<Hex> {
  const posted = await ctx.client.call({
    method: "POST",
    path: "/api/rules",
    route: "POST /api/rules",
    cookie,
    json: { rules: RULES },
  });
  if (posted.status !== 200) throw new JourneyError("rules", `POST answered ${posted.status}`);
  const { rulesHash } = posted.body as { rulesHash: Hex };
  const read = await ctx.client.call({
    method: "GET",
    path: `/api/rules/${rulesHash}`,
    route: "GET /api/rules/:hash",
    cookie,
  });
  if (read.status !== 200) throw new JourneyError("rules", `GET answered ${read.status}`);
  return rulesHash;
}

async function createCommitment(
  ctx: JourneyContext,
  plan: UserPlan,
  rulesHash: Hex,
): Promise<{ id: bigint; start: number }> {
  const account = privateKeyToAccount(plan.key);
  const wallet = createWalletClient({ account, chain: ctx.chain, transport: http(ctx.rpcUrl) });
  await ctx.fund(account.address);
  const amount = STAKE[plan.token];
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const start = ctx.time.now() + LEAD_SEC;
    const params = {
      token: plan.token === "eth" ? ("0x0000000000000000000000000000000000000000" as Address) : ctx.usdc,
      amount,
      start: BigInt(start),
      period: PERIOD_SEC,
      milestones: plan.milestones.length,
      grace: GRACE_SEC,
      beneficiary: ctx.beneficiary,
      rulesHash,
    };
    let hash: Hash;
    try {
      if (plan.token === "eth") {
        hash = await wallet.writeContract({
          address: ctx.vault,
          abi: commitmentVaultAbi,
          functionName: "createCommitment",
          args: [params],
          value: amount,
        });
      } else {
        const mint = await wallet.writeContract({
          address: ctx.usdc,
          abi: mockERC20PermitAbi,
          functionName: "mint",
          args: [account.address, amount],
        });
        await ctx.publicClient.waitForTransactionReceipt({ hash: mint, pollingInterval: 250 });
        const nonce = await ctx.publicClient.readContract({
          address: ctx.usdc,
          abi: mockERC20PermitAbi,
          functionName: "nonces",
          args: [account.address],
        });
        const deadline = BigInt(ctx.time.now() + 24 * 3600);
        const signature = await account.signTypedData(
          eip2612PermitTypedData({
            token: { name: "USD Coin (local)", version: "1", chainId: ctx.chain.id, address: ctx.usdc },
            owner: account.address,
            spender: ctx.vault,
            value: amount,
            nonce,
            deadline,
          }),
        );
        const { r, s, v } = parseSignature(signature);
        hash = await wallet.writeContract({
          address: ctx.vault,
          abi: commitmentVaultAbi,
          functionName: "createCommitmentWithPermit",
          args: [params, deadline, Number(v), r, s],
        });
      }
    } catch (error) {
      if (attempt === 3) throw new JourneyError("create", (error as Error).message.split("\n")[0] ?? "");
      continue;
    }
    const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 250 });
    for (const log of receipt.logs) {
      try {
        const event = decodeEventLog({ abi: commitmentVaultAbi, data: log.data, topics: log.topics });
        if (event.eventName === "CommitmentCreated") return { id: event.args.id, start };
      } catch {
        // another contract's event (the token's Transfer)
      }
    }
    throw new JourneyError("create", `no CommitmentCreated in ${hash}`);
  }
  throw new JourneyError("create", "unreachable");
}

/** Waits until the agent has indexed the commitment (GET answers 200), at most `timeoutMs`. */
async function waitIndexed(
  ctx: JourneyContext,
  cookie: string,
  id: bigint,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await ctx.client.call({
      method: "GET",
      path: `/api/commitments/${id}`,
      route: "GET /api/commitments/:id",
      cookie,
    });
    if (res.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new JourneyError("index", `commitment ${id} not indexed within ${timeoutMs / 1000} s`);
}

interface UploadAnswer {
  workouts?: { id: string; contentHash: string; verdict: { status: string; reasons: { code: string }[] } }[];
}

function toOutcome(milestoneIndex: number, variant: UploadOutcome["variant"], status: number, body: unknown) {
  const workouts = ((body as UploadAnswer | undefined)?.workouts ?? []).map((w) => ({
    id: w.id,
    contentHash: w.contentHash,
    status: w.verdict.status,
    reasons: w.verdict.reasons.map((r) => r.code),
  }));
  return { milestoneIndex, status, workouts, variant };
}

async function upload(
  ctx: JourneyContext,
  plan: UserPlan,
  cookie: string,
  milestoneIndex: number,
  workoutStart: number,
  workoutNumber: number,
): Promise<UploadOutcome[]> {
  const file = workoutFile({
    format: plan.format,
    start: workoutStart * 1000,
    durationSec: WORKOUT_SEC,
    user: plan.index,
    workout: workoutNumber,
  });
  const form = () => {
    const data = new FormData();
    data.append(
      "file",
      new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.contentType }),
      file.name,
    );
    return data;
  };
  const base = {
    method: "POST" as const,
    path: "/api/workouts/upload",
    route: "POST /api/workouts/upload",
    cookie,
    form,
  };
  if (plan.doubleSubmit) {
    const answers = await Promise.all([
      ctx.client.call({ ...base, idempotencyKey: randomUUID() }).catch(() => undefined),
      ctx.client.call({ ...base, idempotencyKey: randomUUID() }).catch(() => undefined),
    ]);
    return answers.map((a) => toOutcome(milestoneIndex, "double", a?.status ?? 0, a?.body));
  }
  const answer = await ctx.client
    .call({
      ...base,
      idempotencyKey: randomUUID(),
      ...(plan.retryAfterTimeout ? { abortFirstAfterMs: 5 } : {}),
    })
    .catch(() => undefined);
  return [
    toOutcome(
      milestoneIndex,
      plan.retryAfterTimeout ? "retried" : "plain",
      answer?.status ?? 0,
      answer?.body,
    ),
  ];
}

/**
 * Whether an upload ended as an accepted workout: an answer said so, or an answer said `duplicate` (of one of the
 * user's own workouts: a double submit, or a retry whose first attempt was stored) and that workout, read back,
 * is accepted.
 */
async function countsAsAccepted(
  ctx: JourneyContext,
  cookie: string,
  answers: UploadOutcome[],
): Promise<boolean> {
  const workouts = answers.flatMap((a) => a.workouts);
  if (workouts.some((w) => w.status === "accepted")) return true;
  const duplicate = workouts.find((w) => w.reasons.includes("duplicate"));
  if (duplicate === undefined) return false;
  // The user's own list (a handful of workouts: one page) says how the stored one was judged.
  const res = await ctx.client.call({
    method: "GET",
    path: "/api/workouts",
    route: "GET /api/workouts",
    cookie,
  });
  const listed = (res.body as { workouts?: { id: string; verdict: { status: string } }[] } | undefined)
    ?.workouts;
  return res.status === 200 && listed?.find((w) => w.id === duplicate.id)?.verdict.status === "accepted";
}

interface Attestation {
  evidenceHash: Hex;
  validUntil: string | number;
  signature: Hex;
}

async function claim(
  ctx: JourneyContext,
  plan: UserPlan,
  cookie: string,
  id: bigint,
  index: number,
  mode: ClaimMode,
): Promise<string | undefined> {
  if (mode === "auto") return undefined;
  const path = `/api/commitments/${id}/milestones/${index}`;
  if (mode === "gasless") {
    const res = await ctx.client.call({
      method: "POST",
      path: `${path}/claim`,
      route: "POST /api/commitments/:id/milestones/:index/claim",
      cookie,
      json: {},
      idempotencyKey: randomUUID(),
    });
    return res.status === 202 ? `relayed:${(res.body as { status?: string }).status}` : `claim:${res.status}`;
  }
  const res = await ctx.client.call({
    method: "POST",
    path: `${path}/attestation`,
    route: "POST /api/commitments/:id/milestones/:index/attestation",
    cookie,
    idempotencyKey: randomUUID(),
  });
  if (res.status !== 200) return `attestation:${res.status}`;
  const a = res.body as Attestation;
  const account = privateKeyToAccount(plan.key);
  const wallet = createWalletClient({ account, chain: ctx.chain, transport: http(ctx.rpcUrl) });
  try {
    const hash = await wallet.writeContract({
      address: ctx.vault,
      abi: commitmentVaultAbi,
      functionName: "claimMilestone",
      args: [id, BigInt(index), a.evidenceHash, BigInt(a.validUntil), [a.signature]],
    });
    const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 250 });
    return receipt.status === "success" ? "released" : "reverted";
  } catch (error) {
    // The agent's auto-settle may have been first: the milestone is no longer Open.
    return /MilestoneNotOpen|not open/i.test(String((error as Error).message)) ? "already" : "tx-error";
  }
}

export async function runJourney(ctx: JourneyContext, plan: UserPlan): Promise<UserOutcome> {
  const outcome: UserOutcome = {
    index: plan.index,
    address: plan.address,
    token: plan.token,
    milestones: plan.milestones.map((m, index) => ({ index, accepted: 0, uncertain: false, claim: m.claim })),
    uploads: [],
  };
  let step = "sign-in";
  try {
    let cookie = await signIn(ctx, plan);
    step = "rules";
    const rulesHash = await registerRules(ctx, cookie);
    step = "create";
    const { id, start } = await createCommitment(ctx, plan, rulesHash);
    outcome.commitmentId = id;
    outcome.start = start;
    step = "index";
    await waitIndexed(ctx, cookie, id);
    let asked = false;
    for (const [index, milestone] of plan.milestones.entries()) {
      const windowStart = start + index * PERIOD_SEC;
      const result = outcome.milestones[index];
      if (result === undefined) continue;
      step = `milestone ${index}`;
      for (let w = 0; w < milestone.workouts; w += 1) {
        const workoutStart = windowStart + (WORKOUT_OFFSETS_SEC[w] ?? 0);
        await ctx.time.waitUntil(workoutStart + WORKOUT_SEC + UPLOAD_DELAY_SEC);
        const answers = await upload(ctx, plan, cookie, index, workoutStart, index * 10 + w);
        if (answers.some((a) => a.status === 401)) {
          cookie = await signIn(ctx, plan);
          answers.splice(
            0,
            answers.length,
            ...(await upload(ctx, plan, cookie, index, workoutStart, index * 10 + w)),
          );
        }
        outcome.uploads.push(...answers);
        const definitive = answers.some((a) => a.status >= 200 && a.status < 300);
        if (!definitive) result.uncertain = true;
        if (await countsAsAccepted(ctx, cookie, answers)) result.accepted += 1;
        if (plan.asksCoach && !asked) {
          asked = true;
          await ctx.client.call({
            method: "POST",
            path: "/api/agent",
            route: "POST /api/agent",
            cookie,
            json: { message: "How am I doing this week?" },
          });
        }
      }
      if (result.accepted >= RULES.perMilestone.minWorkouts) {
        result.claimResult = await claim(ctx, plan, cookie, id, index, milestone.claim);
      }
    }
    await ctx.client.call({ method: "GET", path: "/api/workouts", route: "GET /api/workouts", cookie });
  } catch (error) {
    outcome.failedAt = step;
    outcome.error = (error as Error).message.slice(0, 300);
  }
  return outcome;
}
