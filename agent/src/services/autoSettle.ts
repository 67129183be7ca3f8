/**
 * Paid if you did it: the agent settles a met milestone itself, so an owner who trained but never pressed Claim
 * is not slashed.
 *
 * A run (single-flight across replicas through a `Lock`) scans the cached commitments for milestones that are
 * `Open` with their window started and their nominal claim deadline ahead (or `Appealed`: a late quorum settles
 * an appeal), skipping those with a claim already pending or confirmed. The store's progress, one query per
 * commitment, sets aside the weeks not met yet (they cost no budget: bounded by the scan's pages). For each of the
 * others, at most `maxPerRun`, `concurrency` at a time:
 * - the requirement is checked and this oracle's attestation signed over the canonical evidence set
 *   (`issueAttestation`: a milestone not met yet is left for a later run);
 * - with the relayer on, the claim is submitted through it (`relayMilestoneClaim`: the transaction sender's
 *   retries and fee bumps, at most once per milestone), as soon as the requirement is met — hence well before the
 *   deadline. It needs this agent's signature alone to reach the vault's threshold (a 1-of-n deployment, the
 *   default of `scripts/deploy.ts`): with a larger threshold, and with the relayer off, the owner gets a nudge
 *   instead (the web app gathers the other oracles' signatures);
 * - the nudge: "claim before <deadline>", once per milestone and channel (in-app always; email and webhook when the
 *   owner chose them), through the coach's `deployNudge` (quiet hours and the daily cap apply: a suppressed nudge
 *   is tried again on the next run).
 *
 * `withholdSlash` is the keeper's guard: a due milestone for which this agent holds an attestation, or whose
 * requirement its store says is met, is never slashed by this agent (the owner may still appeal it).
 */
import type { Hex } from "viem";
import type { AttestationSigner } from "../attestation/signer.ts";
import { createLeasedTask } from "../chain/leasedTask.ts";
import type { HeldLease, Lock } from "../chain/lock.ts";
import type { ClaimRelayer, PauseTimes, VaultReader } from "../chain/ports.ts";
import { milestoneKey } from "../chain/settlementRows.ts";
import { createScanCursor, type ScanCursor, unsettledPages } from "../chain/unsettledScan.ts";
import { AgentError, ConflictError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import type { NudgeChannelKind } from "../store/schema.ts";
import { createRulesLookup } from "./commitmentRules.ts";
import { issueAttestation } from "./issueAttestation.ts";
import { milestoneProgressOf } from "./milestoneProgress.ts";
import { baseClaimDeadlineOf, milestoneStateOf, milestoneWindowOf } from "./milestoneSchedule.ts";
import { relayMilestoneClaim } from "./relayMilestoneClaim.ts";
import { type ChainTarget, commitmentSubject, type ServiceContext } from "./serviceContext.ts";
import { isoTime } from "./workoutView.ts";

/** Sends the "claim before <deadline>" nudge on one channel; answers whether it was delivered or already sent. */
export type ClaimNudgeSender = (parameters: {
  owner: string;
  channel: NudgeChannelKind;
  reason: string;
  message: string;
  dedupeKey: string;
}) => Promise<{ status: string }>;

export interface CreateAutoSettleParameters {
  context: ServiceContext & { chain: ChainTarget };
  signer: AttestationSigner;
  reader: VaultReader;
  lock: Lock;
  /** The gasless relayer; absent (relayer off) → the owner is nudged to claim. */
  relayer?: ClaimRelayer | undefined;
  /** The coach's nudge; absent → no nudge (logged only). */
  nudge?: ClaimNudgeSender | undefined;
  /** Milestones settled or nudged per run (weeks the store says are not met yet take none). Default 100. */
  maxPerRun?: number;
  /** Milestones settled at once (each claim waits for its receipt). Default 8. */
  concurrency?: number;
  /** Cached commitments per scan page. Default 200. */
  scanPageSize?: number;
  /** Most scan pages per run. Default 50. */
  maxScanPages?: number;
  /** The run lease, renewed while the run lasts (`withLease`). Default 30 s. */
  lockTtlMs?: number;
  /**
   * A run starts no new commitment after this long (wall time; the next run goes on from there): weeks not met
   * take no budget, so without it one run could check every page of commitments. Default 20 s.
   */
  maxRunMs?: number;
}

export interface SettledMilestone {
  commitmentId: bigint;
  milestoneIndex: number;
}

export interface AutoSettleRunResult {
  skipped: "locked" | null;
  /** Claims handed to the relayer (with its answer). */
  claimed: (SettledMilestone & { status: string; txHash: Hex | null })[];
  /** Owners nudged to claim (delivered now). */
  nudged: SettledMilestone[];
  /** Candidates whose requirement is not met (yet). */
  notMet: number;
}

export interface AutoSettle {
  runOnce(): Promise<AutoSettleRunResult>;
  /** The keeper's guard: true when this agent must not slash the milestone (attested or met here). */
  withholdSlash(milestone: SettledMilestone): Promise<boolean>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

export type CreateAutoSettleReturnType = AutoSettle;

const NUDGE_CHANNELS: readonly NudgeChannelKind[] = ["inApp", "email", "webhook"];

export interface SlashGuardParameters {
  store: ServiceContext["store"];
  chain: ChainTarget;
  signer: Pick<AttestationSigner, "address">;
}

/**
 * The keeper's guard (`createKeeper`'s `withhold`): true when this agent holds an attestation for the milestone,
 * or its store says the requirement was met — the agent never slashes what it knows was done.
 */
export function slashGuardOf({
  store,
  chain,
  signer,
}: SlashGuardParameters): (milestone: SettledMilestone) => Promise<boolean> {
  return async ({ commitmentId, milestoneIndex }) => {
    const key = { chainId: chain.chainId, vault: chain.vault, commitmentId, milestoneIndex };
    if ((await store.attestations.get({ ...key, signer: signer.address })) !== null) return true;
    const row = await store.commitments.get({ chainId: chain.chainId, vault: chain.vault, commitmentId });
    if (row === null) return false;
    const rules = await createRulesLookup({ repositories: store })(row.rulesHash);
    if (rules === null) return false;
    const progress = await milestoneProgressOf({
      repositories: store,
      owner: row.owner,
      commitment: row,
      rules,
      indices: [milestoneIndex],
    });
    return progress.get(milestoneIndex)?.met === true;
  };
}

/**
 * Whether a pause may have moved the claim deadline of a milestone whose window ended at `windowEndSec` and whose
 * nominal deadline (no pause) is `nominalSec`: the vault is paused now (nothing can be claimed, but the deadline
 * keeps moving), or it was unpaused after the window ended, or less than `UNPAUSE_CLAIM_TIME` before the nominal
 * deadline (the vault's fast path, negated).
 */
export function mayHaveMoved(pause: PauseTimes, windowEndSec: number, nominalSec: number): boolean {
  if (pause.pausedAt !== 0) return false;
  if (pause.lastUnpausedAt === 0) return false;
  return (
    pause.lastUnpausedAt > windowEndSec || pause.lastUnpausedAt + UNPAUSE_CLAIM_TIME_SECONDS > nominalSec
  );
}

/** The vault's `UNPAUSE_CLAIM_TIME`: an owner always has this long to claim after an unpause. */
export const UNPAUSE_CLAIM_TIME_SECONDS = 3600;

/** The one place the nudge is worded (the web app shows the same deadline). */
export function claimNudgeMessage(commitmentId: bigint, milestoneIndex: number, deadlineMs: number): string {
  return `You met milestone ${milestoneIndex + 1} of commitment ${commitmentId}: claim it before ${isoTime(deadlineMs)} to get its share back.`;
}

/** What the automatic settlement's steps share. */
interface AutoSettleContext {
  context: CreateAutoSettleParameters["context"];
  signer: AttestationSigner;
  reader: VaultReader;
  relayer: ClaimRelayer | undefined;
  nudge: ClaimNudgeSender | undefined;
  log: Logger;
  maxPerRun: number;
  concurrency: number;
  scanPageSize: number;
  maxScanPages: number;
  maxRunMs: number;
  /** Where the next run's scan starts (see `unsettledScan.ts`). */
  cursor: ScanCursor;
}

export function createAutoSettle({
  context,
  signer,
  reader,
  lock,
  relayer,
  nudge,
  maxPerRun = 100,
  concurrency = 8,
  scanPageSize = 200,
  maxScanPages = 50,
  lockTtlMs = 30_000,
  maxRunMs = 20_000,
}: CreateAutoSettleParameters): CreateAutoSettleReturnType {
  const { store, chain } = context;
  const log = context.logger.child({ component: "autoSettle", chainId: chain.chainId, vault: chain.vault });
  const a: AutoSettleContext = {
    ...{ context, signer, reader, relayer, nudge, log },
    ...{ maxPerRun, concurrency, scanPageSize, maxScanPages, maxRunMs, cursor: createScanCursor() },
  };
  const lease = {
    lock,
    name: `auto-settle:${chain.chainId}:${chain.vault.toLowerCase()}`,
    ttlMs: lockTtlMs,
    log,
  };
  const task = createLeasedTask({
    name: "auto-settle",
    lease,
    work: (held) => scanAndSettle(a, held),
    skipped: (): AutoSettleRunResult => ({ ...emptyRun(), skipped: "locked" }),
  });
  return {
    runOnce: task.runOnce,
    withholdSlash: slashGuardOf({ store, chain, signer }),
    start: task.start,
    stop: task.stop,
  };
}

const emptyRun = (): AutoSettleRunResult => ({ skipped: null, claimed: [], nudged: [], notMet: 0 });

/**
 * Open milestones whose window started and whose nominal deadline is ahead, and Appealed ones. A pause moves
 * deadlines (by the paused time it overlaps, and to at least an hour after the unpause): an Open milestone whose
 * nominal deadline passed is a candidate too when the last unpause came after its window ended or less than an
 * hour before its nominal deadline; the claim itself then checks the vault's real `claimDeadline`.
 */
function candidatesOf(row: CommitmentRecord, nowSec: number, pause: PauseTimes): number[] {
  const indices: number[] = [];
  for (let index = 0; index < row.milestones; index++) {
    const state = milestoneStateOf(row, index);
    if (state === "Appealed") indices.push(index);
    if (state !== "Open") continue;
    const window = milestoneWindowOf(row, index);
    if (window.startMs > nowSec * 1000) break;
    const nominal = baseClaimDeadlineOf(row, index);
    if (nominal > nowSec) indices.push(index);
    else if (mayHaveMoved(pause, window.endMs / 1000, nominal)) indices.push(index);
  }
  return indices;
}

/**
 * The Open candidates of `row` whose requirement the store says is not met yet, by one progress query for all of
 * them: most candidates of a run are weeks still in progress or missed, and the full path (`issueAttestation`:
 * the commitment, its claim deadline from the chain, then the progress) cost an RPC call each, which at 1,000 users
 * kept the runs from reaching the met ones before their deadlines. Unknown rules or a failed query: none (the full
 * path decides, as before).
 */
async function notMetIn(
  a: AutoSettleContext,
  rulesOf: ReturnType<typeof createRulesLookup>,
  row: CommitmentRecord,
  indices: readonly number[],
): Promise<ReadonlySet<number>> {
  const open = indices.filter((index) => milestoneStateOf(row, index) === "Open");
  if (open.length === 0) return new Set();
  try {
    const rules = await rulesOf(row.rulesHash);
    if (rules === null) return new Set();
    const progress = await milestoneProgressOf({
      repositories: a.context.store,
      owner: row.owner,
      commitment: row,
      rules,
      indices: open,
    });
    return new Set(open.filter((index) => progress.get(index)?.met === false));
  } catch (err) {
    a.log.debug({ err, commitmentId: row.commitmentId.toString() }, "progress pre-check failed");
    return new Set();
  }
}

/** The vault's pause times, or "never paused" when they cannot be read (then only nominal deadlines count). */
async function pauseTimesNow(a: AutoSettleContext): Promise<PauseTimes> {
  try {
    return await a.reader.pauseTimes();
  } catch (err) {
    a.log.warn({ err }, "reading the vault's pause times failed");
    return { pausedAt: 0, lastUnpausedAt: 0 };
  }
}

async function nudgeOwner(a: AutoSettleContext, row: CommitmentRecord, index: number): Promise<boolean> {
  const { nudge } = a;
  const { chain } = a.context;
  // An appeal is settled by a late quorum or expires on its own: there is no deadline to remind of.
  if (nudge === undefined || milestoneStateOf(row, index) !== "Open") return false;
  const deadline = await a.reader.claimDeadline(row.commitmentId, index);
  const message = claimNudgeMessage(row.commitmentId, index, deadline * 1000);
  const dedupeKey = `claim:${chain.chainId}:${chain.vault.toLowerCase()}:${row.commitmentId}:${index}`;
  let delivered = false;
  for (const channel of NUDGE_CHANNELS) {
    const { status } = await nudge({ owner: row.owner, channel, reason: "claim_due", message, dedupeKey });
    if (status === "delivered" && channel === "inApp") delivered = true;
  }
  return delivered;
}

/** Claims the milestone (relayer) or attests it; when this agent cannot settle it alone, nudges the owner. */
async function settleOne(
  a: AutoSettleContext,
  row: CommitmentRecord,
  index: number,
  result: AutoSettleRunResult,
) {
  const { context, relayer, log } = a;
  const parameters = {
    owner: row.owner,
    commitmentId: row.commitmentId,
    milestoneIndex: index,
    signer: a.signer,
    reader: a.reader,
  };
  const milestone = { commitmentId: row.commitmentId, milestoneIndex: index };
  try {
    if (relayer !== undefined) {
      const answer = await relayMilestoneClaim(context, {
        ...parameters,
        relayer,
        signatures: [],
        actor: "agent",
      });
      result.claimed.push({ ...milestone, status: answer.status, txHash: answer.txHash });
      log.info(
        { ...milestone, commitmentId: row.commitmentId.toString(), ...answer },
        "claimed automatically",
      );
      return;
    }
    await issueAttestation(context, parameters);
  } catch (error) {
    const code = error instanceof AgentError ? error.code : undefined;
    if (code === "requirement_not_met") {
      result.notMet += 1;
      return;
    }
    if (error instanceof ConflictError && code !== "quorum_not_met") {
      // Not (or no longer) claimable here: rules unknown to this agent, settled meanwhile, deadline passed.
      log.debug(
        { ...milestone, commitmentId: row.commitmentId.toString(), code },
        "not settled automatically",
      );
      return;
    }
    if (code !== "quorum_not_met") throw error;
  }
  // Met, but this agent cannot settle it alone: the owner claims (web app, other oracles' signatures).
  if (await nudgeOwner(a, row, index)) {
    result.nudged.push(milestone);
    await context.store.auditLog.append({
      actor: "agent",
      action: "claim.nudged",
      subject: commitmentSubject(context.chain, row.commitmentId),
      details: { owner: row.owner, milestoneIndex: index },
    });
  }
}

/**
 * At most `maxPerRun` milestones to settle a run, `concurrency` at a time (a claim waits for its receipt: one
 * after the other, the load test's met milestones queued past their deadlines), starting where the last run
 * stopped. Weeks the store says are not met yet (in progress or missed: most candidates) are counted in `notMet`
 * and take none of the budget: when they did, a run covered ~40 commitments and at 10,000 users a met milestone
 * waited for the cursor to come round past its deadline. The scan's pages bound them (`maxScanPages` x
 * `scanPageSize` commitments, one progress query each).
 */
async function scanAndSettle(
  a: AutoSettleContext,
  held: Pick<HeldLease, "lost">,
): Promise<AutoSettleRunResult> {
  const { store, clock, chain } = a.context;
  const result = emptyRun();
  const nowSec = Math.floor(clock.now() / 1000);
  const pause = await pauseTimesNow(a);
  const running = new Set<Promise<void>>();
  const settle = async (row: CommitmentRecord, index: number) => {
    while (running.size >= a.concurrency) await Promise.race(running);
    const settling = settleOne(a, row, index, result)
      .catch((err: unknown) => {
        // One milestone's failure (rules unknown, a revert, the RPC) never stops the others.
        a.log.warn(
          { err, commitmentId: row.commitmentId.toString(), milestoneIndex: index },
          "automatic settlement failed",
        );
      })
      .finally(() => running.delete(settling));
    running.add(settling);
  };
  let handled = 0;
  let looked = 0;
  const startedAt = performance.now();
  const rulesOf = createRulesLookup({ repositories: store });
  try {
    for await (const { rows, taken } of unsettledPages(store, chain, "claim", a, a.cursor)) {
      for (const row of rows) {
        if (held.lost || (looked > 0 && performance.now() - startedAt > a.maxRunMs)) {
          // The run's lease went to another replica (which runs the scan now), or its time is up: the next run
          // starts with this commitment.
          a.cursor.resumeAt(row.commitmentId);
          return result;
        }
        looked += 1;
        const indices = candidatesOf(row, nowSec, pause).filter(
          (index) => !taken.has(milestoneKey({ commitmentId: row.commitmentId, milestoneIndex: index })),
        );
        const notMetYet = await notMetIn(a, rulesOf, row, indices);
        for (const index of indices) {
          if (notMetYet.has(index)) {
            result.notMet += 1;
            continue;
          }
          if (handled >= a.maxPerRun) {
            // The budget is spent: the next run starts with this commitment.
            a.cursor.stopBefore(row.commitmentId);
            return result;
          }
          handled += 1;
          await settle(row, index);
        }
      }
    }
    return result;
  } finally {
    await Promise.all(running);
  }
}
