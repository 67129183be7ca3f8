/**
 * Shared helpers for the chain tests: rejections, the whole commitments cache, "the cache equals the chain"
 * and a logger that keeps its lines.
 */
import { expect } from "chai";
import { sql } from "drizzle-orm";
import type { EIP1193RequestFn } from "viem";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import type { Lock } from "../../src/chain/lock.ts";
import type { Sleep } from "../../src/chain/sleep.ts";
import { createVaultReader } from "../../src/chain/vaultReader.ts";
import type { AuditEntry } from "../../src/store/auditLogRepository.ts";
import type { CommitmentRecord } from "../../src/store/commitmentsRepository.ts";
import type { Database } from "../../src/store/database.ts";
import type { Store } from "../../src/store/store.ts";
import type { HardhatChain } from "../support/hardhatChain.ts";

/** Resolves with the rejection (failing the test when the promise resolves instead). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.fail("expected a rejection");
}

/**
 * Empties what the chain layer writes (the audit log is append-only: tests read only entries they made), so
 * one store serves a whole suite (opening PGlite takes seconds).
 */
export async function resetChainTables(database: Database): Promise<void> {
  for (const table of ["commitments_cache", "indexer_cursor", "chain_transactions", "locks"]) {
    await database.db.execute(sql.raw(`delete from ${table}`));
  }
}

/** Every cached commitment of the chain's vault, by id. */
export async function allCachedRows(store: Store, chain: HardhatChain): Promise<CommitmentRecord[]> {
  const rows: CommitmentRecord[] = [];
  let afterId: bigint | undefined;
  for (let page = 0; page < 100; page++) {
    const batch = await store.commitments.listUpdatedAfter({
      chainId: chain.chainId,
      vault: chain.vault,
      block: 0,
      limit: 500,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    rows.push(...batch);
    const last = batch.at(-1);
    if (last === undefined) break;
    afterId = last.commitmentId;
  }
  return rows;
}

/**
 * The cache holds exactly the vault's commitments as of `blockNumber` (default: latest), field for field,
 * and nothing else.
 */
export async function expectCacheEqualsChain(store: Store, chain: HardhatChain, blockNumber?: number) {
  const at = blockNumber === undefined ? {} : { blockNumber: BigInt(blockNumber) };
  const count = await chain.client.readContract({
    address: chain.vault,
    abi: commitmentVaultAbi,
    functionName: "commitmentCount",
    ...at,
  });
  const reader = createVaultReader({ client: chain.client, chainId: chain.chainId, vault: chain.vault });
  const expected = [];
  for (let id = 1n; id <= count; id++) {
    const commitment = await reader.readCommitment(id, at);
    if (commitment === null) throw new Error(`commitment ${id} missing on chain`);
    expected.push(commitment);
  }
  const rows = await allCachedRows(store, chain);
  const cached = rows.map((row) => ({
    chainId: row.chainId,
    vault: row.vault,
    commitmentId: row.commitmentId,
    owner: row.owner,
    token: row.token,
    amount: row.amount,
    start: row.start,
    period: row.period,
    milestones: row.milestones,
    grace: row.grace,
    beneficiary: row.beneficiary,
    rulesHash: row.rulesHash,
    closed: row.closed,
    milestoneStates: row.milestoneStates,
    appeals: row.appeals,
  }));
  expect(cached).to.deep.equal(expected);
}

/** A request wrapper that records every call (method and params) before passing it on. */
export function recordRequests(calls: { method: string; params: unknown }[]) {
  return (request: EIP1193RequestFn): EIP1193RequestFn =>
    (async (args: { method: string; params?: unknown }) => {
      calls.push({ method: args.method, params: args.params });
      return (request as (a: typeof args) => Promise<unknown>)(args);
    }) as EIP1193RequestFn;
}

/** A counter's value for one label set (0 when never incremented). */
export async function counterValue(
  counter: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> },
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await counter.get();
  const match = values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return match?.value ?? 0;
}

/**
 * A `Sleep` that moves a ManualClock forward by the time asked and yields to the event loop briefly, so the
 * sender's bump and timeout logic runs on the test's clock (and fast).
 */
export function manualSleep(clock: { advance(ms: number): void }): Sleep {
  return async (ms) => {
    clock.advance(ms);
    await new Promise((resolve) => setTimeout(resolve, 2));
  };
}

/** Audit entries appended after entry `afterId`, oldest first. */
export async function auditSince(store: Store, afterId: number): Promise<AuditEntry[]> {
  const entries = await store.auditLog.list({ limit: 200 });
  return entries.filter((entry) => entry.id > afterId).reverse();
}

/** The newest audit entry id (0 when empty): take it before acting, then read `auditSince`. */
export async function lastAuditId(store: Store): Promise<number> {
  return (await store.auditLog.list({ limit: 1 }))[0]?.id ?? 0;
}

/** Polls `check` (real time, bounded) until it is true; fails the test otherwise. */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  attempts = 1_000,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect.fail(`never happened: ${what}`);
}

/** Two owners (two replicas) of an in-memory lease table with real time: what a Redis or store lock does. */
export function memoryLocks(): [Lock, Lock] {
  const leases = new Map<string, { owner: string; until: number }>();
  const lock = (owner: string): Lock => ({
    owner,
    tryAcquire: async (name, ttlMs) => {
      const held = leases.get(name);
      if (held !== undefined && held.owner !== owner && held.until > Date.now()) return false;
      leases.set(name, { owner, until: Date.now() + ttlMs });
      return true;
    },
    release: async (name) => {
      if (leases.get(name)?.owner === owner) leases.delete(name);
    },
  });
  return [lock("replica-1"), lock("replica-2")];
}
