/**
 * The app with the workout and commitment routes over a real store (PGlite in memory by default, or any driver of
 * ../store/storeDrivers.ts), sharing the test app's ManualClock, plus helpers to seed commitments and rules and to
 * sign accounts in. Also an in-memory VaultReader and a recording ClaimRelayer for the routes that take them.
 */

import { Router } from "express";
import { type Address, getAddress, type Hex } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { type AttestationSigner, privateKeySigner } from "../../src/attestation/signer.ts";
import type {
  ClaimRelayer,
  OnChainCommitment,
  RelayClaimParameters,
  RelayClaimReturnType,
  VaultReader,
} from "../../src/chain/ports.ts";
import { commitmentsRouter } from "../../src/http/commitmentsRouter.ts";
import type { UploadBufferPool } from "../../src/http/uploadBufferPool.ts";
import { workoutsRouter } from "../../src/http/workoutsRouter.ts";
import { canonicalizeRules, type RulesDocument } from "../../src/rules/rulesDocument.ts";
import { createCommitmentViewCache } from "../../src/services/commitmentViewCache.ts";
import type { ChainTarget } from "../../src/services/serviceContext.ts";
import type { CommitmentRecord } from "../../src/store/commitmentsRepository.ts";
import type { MilestoneAppeal, MilestoneState } from "../../src/store/schema.ts";
import type { Store } from "../../src/store/store.ts";
import type { WorkoutParsePool } from "../../src/workouts/workoutParsePool.ts";
import { type OpenedTestStore, openOrSkip, pgliteDriver, type StoreDriver } from "../store/storeDrivers.ts";
import { signIn } from "./signIn.ts";
import { buildTestApp, type TestApp } from "./testApp.ts";

// Hardhat's development account #1 (public, local only): the oracle.
export const ORACLE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
export const ORACLE_ADDRESS: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
export const CHAIN: ChainTarget = { chainId: 31337, vault: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
export const TOKEN: Address = "0x0000000000000000000000000000000000000000";
export const BENEFICIARY: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

export const DAY = 86_400;
/** 2026-11-23T00:00:00Z, the Monday of the test app's clock (which starts at 07:00 that day). */
export const MONDAY = Date.UTC(2026, 10, 23) / 1000;

export const RULES: RulesDocument = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
};

export interface RoutesHarnessParameters {
  env?: Record<string, string>;
  driver?: StoreDriver;
  signer?: AttestationSigner | null;
  reader?: VaultReader;
  relayer?: ClaimRelayer;
  /** null: no vault configured. */
  chain?: ChainTarget | null;
  /** Mocha context, for skipping a PostgreSQL suite when the database is unreachable. */
  mocha?: Mocha.Context;
  /** Serve `GET /api/commitments/:id` through a view cache with this TTL, fed by the store's changes. */
  viewCacheMs?: number;
  /** Parse uploads on this worker pool (as the agent does) instead of in process. */
  parsePool?: WorkoutParsePool;
  /** With `parsePool`: the shared memory uploads are received into (default: the router's own). */
  uploadBufferPool?: UploadBufferPool;
}

export interface RoutesHarness extends TestApp {
  store: Store;
  opened: OpenedTestStore;
  signer: AttestationSigner | undefined;
  /** Mounted at /api after the workout and commitment routes: a test's own routes. */
  routes: Router;
  close(): Promise<void>;
}

/** Long sessions: tests move the clock by weeks. */
const HARNESS_ENV = { SESSION_TTL_SECONDS: String(30 * DAY) };

export async function openRoutesHarness(parameters: RoutesHarnessParameters = {}): Promise<RoutesHarness> {
  const workouts = Router();
  const commitments = Router();
  const extra = Router();
  const test = buildTestApp({
    env: { ...HARNESS_ENV, ...parameters.env },
    routes: [
      { path: "/workouts", router: workouts },
      { path: "/commitments", router: commitments },
      { path: "/", router: extra },
    ],
  });
  const driver = parameters.driver ?? pgliteDriver;
  const opened =
    parameters.mocha === undefined
      ? await driver.open(test.clock)
      : await openOrSkip(parameters.mocha, driver, test.clock, driver.name);
  const { store } = opened;
  const chain = parameters.chain === null ? undefined : (parameters.chain ?? CHAIN);
  const signer = parameters.signer === null ? undefined : (parameters.signer ?? privateKeySigner(ORACLE_KEY));
  const common = { store, clock: test.clock, metrics: test.metrics, logger: test.logger, chain };
  const parsePool = {
    ...(parameters.parsePool === undefined ? {} : { parsePool: parameters.parsePool }),
    ...(parameters.uploadBufferPool === undefined ? {} : { uploadBufferPool: parameters.uploadBufferPool }),
  };
  workouts.use(workoutsRouter({ ...common, config: test.config, ...parsePool }));
  const views =
    parameters.viewCacheMs === undefined
      ? undefined
      : createCommitmentViewCache({ clock: test.clock, ttlMs: parameters.viewCacheMs });
  if (views !== undefined) store.changes.subscribe(views.invalidate);
  commitments.use(
    commitmentsRouter({ ...common, signer, reader: parameters.reader, relayer: parameters.relayer, views }),
  );
  return { ...test, store, opened, signer, routes: extra, close: () => opened.cleanup() };
}

export function newAccount(): PrivateKeyAccount {
  return privateKeyToAccount(generatePrivateKey());
}

export function cookieFor(harness: RoutesHarness, account: PrivateKeyAccount): Promise<string> {
  return signIn({ app: harness.app, clock: harness.clock, account });
}

export async function putRules(store: Store, rules: RulesDocument = RULES): Promise<Hex> {
  const { rulesHash, canonical } = canonicalizeRules(rules);
  await store.rulesDocuments.put(rulesHash, canonical);
  return rulesHash;
}

export interface SeedCommitmentParameters {
  owner: Address;
  commitmentId: bigint;
  rulesHash: Hex;
  start?: number;
  period?: number;
  milestones?: number;
  grace?: number;
  amount?: bigint;
  states?: MilestoneState[];
  /** v2 appeals (`appealOf`), by index. */
  appeals?: MilestoneAppeal[];
  closed?: boolean;
}

/** The commitment as the vault would report it. */
export function onChainCommitment(p: SeedCommitmentParameters): OnChainCommitment {
  const milestones = p.milestones ?? 4;
  return {
    chainId: CHAIN.chainId,
    vault: CHAIN.vault,
    commitmentId: p.commitmentId,
    owner: getAddress(p.owner),
    token: TOKEN,
    amount: p.amount ?? 1_000_000_000_000_000_001n,
    start: p.start ?? MONDAY,
    period: p.period ?? 7 * DAY,
    milestones,
    grace: p.grace ?? 2 * DAY,
    beneficiary: BENEFICIARY,
    rulesHash: p.rulesHash,
    closed: p.closed ?? false,
    milestoneStates: p.states ?? Array.from({ length: milestones }, () => "Open" as const),
    appeals: p.appeals ?? [],
  };
}

/** Seeds the indexer's cache, as the indexer would. */
export function seedCommitment(store: Store, p: SeedCommitmentParameters): Promise<CommitmentRecord> {
  return store.commitments.upsert({ ...onChainCommitment(p), updatedBlock: 1 });
}

/** A VaultReader over commitments held in memory: what the real one would read from the vault. */
export class MemoryVaultReader implements VaultReader {
  readonly chainId = CHAIN.chainId;
  readonly vault = CHAIN.vault;
  readonly commitments = new Map<bigint, OnChainCommitment>();
  /** Deadlines moved by a pause: `${id}:${index}` → unix seconds. */
  readonly extended = new Map<string, number>();
  oracles: Address[] = [ORACLE_ADDRESS];
  threshold = 1;
  reads = 0;
  failDeadlines = false;
  /** What `exitAvailable()` answers (v2). */
  exitIsAvailable = false;

  async readCommitment(commitmentId: bigint): Promise<OnChainCommitment | null> {
    this.reads += 1;
    return this.commitments.get(commitmentId) ?? null;
  }

  async claimDeadline(commitmentId: bigint, milestoneIndex: number): Promise<number> {
    if (this.failDeadlines) throw new Error("rpc down");
    const c = this.commitments.get(commitmentId);
    if (c === undefined) throw new Error(`no commitment ${commitmentId}`);
    return (
      this.extended.get(`${commitmentId}:${milestoneIndex}`) ??
      c.start + (milestoneIndex + 1) * c.period + c.grace
    );
  }

  async oracleSet(): Promise<{ oracles: Address[]; threshold: number }> {
    return { oracles: [...this.oracles], threshold: this.threshold };
  }

  async latestTimestamp(): Promise<number> {
    return MONDAY;
  }

  async exitAvailable(): Promise<boolean> {
    return this.exitIsAvailable;
  }

  /** What `pauseState()` answers: never paused unless a test sets it. */
  pause = { pausedAt: 0, lastUnpausedAt: 0 };

  async pauseTimes(): Promise<{ pausedAt: number; lastUnpausedAt: number }> {
    return { ...this.pause };
  }
}

/** A relayer that records what it is asked to submit and submits each milestone once. */
export class RecordingRelayer implements ClaimRelayer {
  readonly calls: RelayClaimParameters[] = [];

  async relayClaim(parameters: RelayClaimParameters): Promise<RelayClaimReturnType> {
    const first = !this.calls.some(
      (c) => c.commitmentId === parameters.commitmentId && c.milestoneIndex === parameters.milestoneIndex,
    );
    this.calls.push(parameters);
    return {
      status: "pending",
      txHash: `0x${"ab".repeat(32)}`,
      submitted: first,
    };
  }
}
