/**
 * `deployNudge` for a batch of nudges (the scheduler's pass, issue 18), deciding exactly what calling it once
 * per nudge in the same order decides, with a constant number of statements per batch instead of about eight
 * per nudge:
 * - the checks before any write (`prepareNudge`) and the pre-check for a nudge already sent
 *   (`store.nudges.find`, which the pass answers from its page read) run per nudge, in memory;
 * - one transaction per batch takes every owner's nudge lock (ascending), reads the nudges already stored
 *   under the batch's keys and the rows the daily caps count, decides each nudge in order — already sent,
 *   capped (counting the nudges this batch reserves before it, as the one-at-a-time calls would), or
 *   reserved — and reserves them in one multi-row insert;
 * - deliveries run one by one on their channels, and their outcomes are recorded in one update per outcome.
 * A batch whose transaction fails wrote nothing; its nudges are then sent one at a time by `deployNudge`.
 * Each result is the nudge's `DeployNudgeReturnType`, or the error that nudge's own `deployNudge` would
 * have thrown.
 */
import type { ReservedNudge } from "../../store/coachPassQueries.ts";
import type { Repositories } from "../../store/store.ts";
import {
  cappedNudge,
  type DeployNudgeParameters,
  type DeployNudgeReturnType,
  deliveredNudge,
  deliverReserved,
  deployNudge,
  type NudgeDependencies,
  outcomeOf,
  type PreparedNudge,
  prepareNudge,
} from "./deployNudge.ts";

/** Most nudges one transaction reserves. */
export const NUDGE_BATCH_SIZE = 500;

export type BatchNudgeResult = { ok: true; result: DeployNudgeReturnType } | { ok: false; error: unknown };

type Decision =
  | { kind: "duplicate"; id: string }
  | { kind: "capped" }
  | { kind: "reserved"; nudge: ReservedNudge };

const keyOf = (owner: string, channel: string, dedupeKey: string) =>
  `${owner.toLowerCase()}|${channel}|${dedupeKey}`;

/** Distinct keys the cap counts for `nudge`'s owner on its local day, as `interventionKeysBetween` lists them. */
function keysOfDay(rows: readonly { dedupeKey: string; createdAt: Date }[], nudge: PreparedNudge): string[] {
  const keys = new Set<string>();
  for (const row of rows) {
    if (row.createdAt >= nudge.dayStart && row.createdAt < nudge.dayEnd) keys.add(row.dedupeKey);
  }
  return [...keys].sort().slice(0, 100);
}

/** The batch's transaction: locks, reads, decides in order, reserves (see the module comment). */
async function reserveBatch(tx: Repositories, batch: readonly PreparedNudge[]): Promise<Decision[]> {
  const owners = [...new Set(batch.map((nudge) => nudge.owner.toLowerCase()))];
  await tx.coachPass.lockNudgeOwners(owners);
  const stored = new Map<string, string>();
  for (const row of await tx.coachPass.findNudges(batch)) {
    stored.set(keyOf(row.owner, row.channel, row.dedupeKey), row.id);
  }
  const from = new Date(Math.min(...batch.map((nudge) => nudge.dayStart.getTime())));
  const to = new Date(Math.max(...batch.map((nudge) => nudge.dayEnd.getTime())));
  const counted = new Map<string, { dedupeKey: string; createdAt: Date }[]>();
  for (const owner of owners) counted.set(owner, []);
  for (const row of await tx.coachPass.interventionsBetween(owners, from, to)) {
    counted.get(row.owner.toLowerCase())?.push(row);
  }
  const decisions: (Decision | { kind: "reserve"; key: string })[] = [];
  const reserving = new Set<string>();
  for (const nudge of batch) {
    const key = keyOf(nudge.owner, nudge.channel, nudge.dedupeKey);
    const id = stored.get(key);
    if (id !== undefined || reserving.has(key)) {
      decisions.push(id !== undefined ? { kind: "duplicate", id } : { kind: "reserve", key });
      continue;
    }
    const rows = counted.get(nudge.owner.toLowerCase()) ?? [];
    const keys = keysOfDay(rows, nudge);
    if (!keys.includes(nudge.dedupeKey) && keys.length >= nudge.preferences.dailyCap) {
      decisions.push({ kind: "capped" });
      continue;
    }
    reserving.add(key);
    rows.push({ dedupeKey: nudge.dedupeKey, createdAt: new Date(nudge.now) });
    decisions.push({ kind: "reserve", key });
  }
  const toReserve = batch.filter((nudge) =>
    reserving.has(keyOf(nudge.owner, nudge.channel, nudge.dedupeKey)),
  );
  const unique = [...new Map(toReserve.map((n) => [keyOf(n.owner, n.channel, n.dedupeKey), n])).values()];
  const reserved = new Map<string, ReservedNudge>();
  for (const row of await tx.coachPass.reserveNudges(
    unique.map((nudge) => ({
      owner: nudge.owner,
      channel: nudge.channel,
      dedupeKey: nudge.dedupeKey,
      reason: nudge.reason,
      message: nudge.message,
      status: "pending" as const,
      dueAt: new Date(nudge.now),
    })),
  )) {
    reserved.set(keyOf(row.owner, row.channel, row.dedupeKey), row);
  }
  // A key reserved meanwhile by a writer that does not take the owner's lock: a duplicate, as in deployNudge.
  const lost = unique.filter((nudge) => !reserved.has(keyOf(nudge.owner, nudge.channel, nudge.dedupeKey)));
  const winners = new Map<string, string>();
  for (const row of await tx.coachPass.findNudges(lost))
    winners.set(keyOf(row.owner, row.channel, row.dedupeKey), row.id);
  // The first of a key reserves it; a repeat of the key in the same batch is its duplicate.
  const first = new Set<string>();
  return decisions.map((decision) => {
    if (decision.kind !== "reserve") return decision;
    const row = reserved.get(decision.key);
    if (row === undefined) return { kind: "duplicate", id: winners.get(decision.key) ?? "" };
    if (first.has(decision.key)) return { kind: "duplicate", id: row.id };
    first.add(decision.key);
    return { kind: "reserved", nudge: row };
  });
}

/** Delivers the batch's reserved nudges and records their outcomes (one update per outcome). */
async function deliverBatch(
  deps: NudgeDependencies,
  batch: readonly PreparedNudge[],
  decisions: readonly Decision[],
): Promise<BatchNudgeResult[]> {
  const delivered: {
    index: number;
    nudge: PreparedNudge;
    id: string;
    result: Awaited<ReturnType<typeof deliverReserved>>;
  }[] = [];
  const results: BatchNudgeResult[] = decisions.map((decision, index) => {
    const nudge = batch[index] as PreparedNudge;
    if (decision.kind === "duplicate") {
      return { ok: true, result: { status: "duplicate", channel: nudge.channel, nudgeId: decision.id } };
    }
    return { ok: true, result: cappedNudge(nudge) };
  });
  for (const [index, decision] of decisions.entries()) {
    if (decision.kind !== "reserved") continue;
    const nudge = batch[index] as PreparedNudge;
    delivered.push({
      index,
      nudge,
      id: decision.nudge.id,
      result: await deliverReserved(nudge, decision.nudge),
    });
  }
  try {
    await deps.store.coachPass.setNudgeOutcomes(
      delivered.map((d) => ({ id: d.id, outcome: outcomeOf(d.result) })),
    );
    for (const d of delivered)
      results[d.index] = { ok: true, result: deliveredNudge(deps, d.nudge, d.id, d.result) };
  } catch {
    // One at a time then, so a nudge whose outcome cannot be recorded fails alone (as its deployNudge would).
    for (const d of delivered) {
      try {
        await deps.store.nudges.setOutcome(d.id, outcomeOf(d.result));
        results[d.index] = { ok: true, result: deliveredNudge(deps, d.nudge, d.id, d.result) };
      } catch (error) {
        results[d.index] = { ok: false, error };
      }
    }
  }
  return results;
}

/** Sends `requests` in order, `NUDGE_BATCH_SIZE` per transaction; one result per request (see the module comment). */
export async function deployNudgeBatch(
  deps: NudgeDependencies,
  requests: readonly DeployNudgeParameters[],
): Promise<BatchNudgeResult[]> {
  const results: BatchNudgeResult[] = new Array(requests.length);
  const pending: { index: number; nudge: PreparedNudge }[] = [];
  for (const [index, request] of requests.entries()) {
    try {
      const nudge = await prepareNudge(deps, request);
      if ("status" in nudge) {
        results[index] = { ok: true, result: nudge };
        continue;
      }
      const sent = await deps.store.nudges.find(nudge.owner, nudge.channel, nudge.dedupeKey);
      if (sent === null) pending.push({ index, nudge });
      else
        results[index] = {
          ok: true,
          result: { status: "duplicate", channel: nudge.channel, nudgeId: sent.id },
        };
    } catch (error) {
      results[index] = { ok: false, error };
    }
  }
  for (let start = 0; start < pending.length; start += NUDGE_BATCH_SIZE) {
    const chunk = pending.slice(start, start + NUDGE_BATCH_SIZE);
    const batch = chunk.map((item) => item.nudge);
    let decisions: Decision[];
    try {
      decisions = await deps.store.transaction((tx) => reserveBatch(tx, batch));
    } catch (error) {
      deps.logger.warn(
        { err: error, nudges: batch.length },
        "nudge batch failed; sending its nudges one at a time",
      );
      for (const { index } of chunk) {
        try {
          results[index] = {
            ok: true,
            result: await deployNudge(deps, requests[index] as DeployNudgeParameters),
          };
        } catch (failure) {
          results[index] = { ok: false, error: failure };
        }
      }
      continue;
    }
    const delivered = await deliverBatch(deps, batch, decisions);
    for (const [offset, { index }] of chunk.entries()) results[index] = delivered[offset] as BatchNudgeResult;
  }
  return results;
}
