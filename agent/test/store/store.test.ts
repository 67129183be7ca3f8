/**
 * One suite body, run against every driver in `storeDrivers.ts` (PGlite in memory, PostgreSQL in a fresh
 * schema). The store under test is shared within a suite; each test uses its own owners, keys and names.
 */
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { sql } from "drizzle-orm";
import { getAddress } from "viem";
import { ManualClock } from "../../src/clock.ts";
import { type AgentError, ConflictError, NotFoundError, ValidationError } from "../../src/errors.ts";
import { openDatabase } from "../../src/store/database.ts";
import { mapDatabaseError } from "../../src/store/databaseErrors.ts";
import { LEASE_PURGE_AFTER_MS } from "../../src/store/locksRepository.ts";
import type { Store } from "../../src/store/store.ts";
import type { StoreChange } from "../../src/store/storeChanges.ts";
import type { NewWorkout } from "../../src/store/workoutsRepository.ts";
import {
  MIGRATION_COUNT,
  type OpenedTestStore,
  openOrSkip,
  queryRows,
  storeDrivers,
} from "./storeDrivers.ts";

const START = new Date("2026-11-23T07:00:00Z");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function randomAddress(): `0x${string}` {
  return `0x${randomBytes(20).toString("hex")}`;
}

function randomBytes32(): `0x${string}` {
  return `0x${randomBytes(32).toString("hex")}`;
}

function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(12).toString("hex")}`;
}

function workoutAt(
  owner: string,
  start: Date,
  minutes: number,
  overrides: Partial<NewWorkout> = {},
): NewWorkout {
  return {
    owner,
    source: "fit",
    contentHash: randomBytes32(),
    sport: "run",
    startTime: start,
    endTime: new Date(start.getTime() + minutes * MINUTE),
    durationSec: minutes * 60 - 30,
    elapsedSec: minutes * 60,
    distanceM: 9000,
    avgHeartRate: 148,
    verdict: { status: "accepted", reasons: [] },
    ...overrides,
  };
}

/** Resolves with the rejection (failing the test when the promise resolves instead). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail("expected a rejection");
}

async function expectAgentError(
  promise: Promise<unknown>,
  type: typeof AgentError,
  code: string,
): Promise<AgentError> {
  const error = await rejectionOf(promise);
  expect(error).to.be.instanceOf(type);
  expect((error as AgentError).code).to.equal(code);
  return error as AgentError;
}

for (const driver of storeDrivers) {
  const suiteTitle = `store on ${driver.name}`;

  describe(suiteTitle, () => {
    const clock = new ManualClock(START);
    let opened: OpenedTestStore | undefined;
    let store: Store;

    before(async function () {
      opened = await openOrSkip(this, driver, clock, suiteTitle);
      store = opened.store;
    });

    after(async () => {
      await opened?.cleanup();
    });

    function raw(): OpenedTestStore {
      if (opened === undefined) throw new Error("store not opened");
      return opened;
    }

    describe("migrations", () => {
      it("applied every generated migration once, recorded in drizzle's migrations table", async () => {
        const { database, migrationsSchema } = raw();
        const applied = await queryRows<{ hash: string }>(
          database,
          sql`select hash from ${sql.identifier(migrationsSchema)}.${sql.identifier("__drizzle_migrations")} order by id`,
        );
        expect(applied).to.have.length(MIGRATION_COUNT);
        expect(new Set(applied.map((row) => row.hash)).size).to.equal(MIGRATION_COUNT);
      });

      it("created every table and the append-only trigger", async () => {
        const { database } = raw();
        const tables = await queryRows<{ name: string }>(
          database,
          sql`select table_name as name from information_schema.tables
              where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name <> '__drizzle_migrations'
              order by table_name`,
        );
        expect(tables.map((row) => row.name)).to.deep.equal([
          "attestations",
          "audit_log",
          "chain_transactions",
          "challenge_participants_cache",
          "challenges_cache",
          "coach_calendars",
          "coach_conversations",
          "coach_preferences",
          "commitments_cache",
          "evidence_claims",
          "idempotency_keys",
          "indexer_cursor",
          "locks",
          "nudges",
          "provider_accounts",
          "provider_oauth_states",
          "rules_documents",
          "sessions",
          "siwe_nonces",
          "track_fingerprints",
          "track_segment_hashes",
          "workout_reviews",
          "workouts",
        ]);
        const triggers = await queryRows<{ name: string }>(
          database,
          sql`select tgname as name from pg_trigger where tgrelid = 'audit_log'::regclass and not tgisinternal`,
        );
        expect(triggers.map((row) => row.name)).to.deep.equal(["audit_log_append_only"]);
      });

      // An in-memory PGlite cannot be opened twice: reopening PGlite is covered with a dataDir in openStore.test.ts.
      if (driver.canReopen)
        it("opening the same database again applies nothing twice and keeps the data", async () => {
          const { database, migrationsSchema, reopenParameters } = raw();
          if (reopenParameters === undefined) throw new Error("this driver gave no reopen parameters");
          await store.rulesDocuments.put(`0x${"ab".repeat(32)}`, '{"version":1}');
          const second = await openDatabase(reopenParameters);
          try {
            const applied = await queryRows<{ n: number }>(
              second,
              sql`select count(*)::int as n from ${sql.identifier(migrationsSchema)}.${sql.identifier("__drizzle_migrations")}`,
            );
            expect(applied[0]?.n).to.equal(MIGRATION_COUNT);
            const kept = await queryRows<{ n: number }>(
              second,
              sql`select count(*)::int as n from rules_documents`,
            );
            expect(kept[0]?.n).to.be.at.least(1);
          } finally {
            await second.close();
          }
          expect(database.driver).to.equal("postgres");
        });
    });

    it("ping resolves while the database is open", async () => {
      await store.ping();
    });

    describe("workouts", () => {
      it("stores a workout and reads it back exactly, owner checksummed", async () => {
        const owner = randomAddress();
        const input = workoutAt(
          owner.toUpperCase().replace("0X", "0x"),
          new Date("2026-11-20T06:00:00Z"),
          47,
          {
            verdict: {
              status: "accepted",
              reasons: [{ code: "too_short", message: "Shorter than 30 minutes." }],
            },
            provider: "strava",
            providerActivityId: "12345",
            notes: "easy run",
          },
        );
        const stored = await store.workouts.insert(input);
        expect(stored.owner).to.equal(getAddress(owner));
        expect(stored.id).to.match(/^[0-9a-f-]{36}$/);
        expect(stored.createdAt.toISOString()).to.equal(new Date(clock.now()).toISOString());
        const read = await store.workouts.getById(stored.id);
        expect(read).to.deep.equal(stored);
        expect(read).to.deep.include({
          contentHash: input.contentHash,
          sport: "run",
          source: "fit",
          durationSec: 47 * 60 - 30,
          elapsedSec: 47 * 60,
          distanceM: 9000,
          avgHeartRate: 148,
          provider: "strava",
          providerActivityId: "12345",
          notes: "easy run",
        });
        expect(read?.startTime.toISOString()).to.equal("2026-11-20T06:00:00.000Z");
        expect(read?.verdict).to.deep.equal(input.verdict);
      });

      it("a batch comes back as a read gives it: sport detail as JSON stores it, no two ids alike, a given id kept", async () => {
        const owner = randomAddress();
        const given = "0f0e0d0c-0b0a-4908-8706-050403020100";
        const detail = {
          fileSport: "generic",
          // Stored as JSON: an undefined member is dropped, a non-finite number becomes null.
          missing: undefined,
          speed: Number.NaN,
          zeta: { b: 1e21, a: [0.1, 5e-324, -0] },
          inference: { sport: null, basis: ["speed"] },
        } as unknown as NonNullable<NewWorkout["sportDetail"]>;
        const inputs: NewWorkout[] = [
          workoutAt(owner, new Date("2026-11-21T06:00:00Z"), 30, {
            id: given.toUpperCase(),
            sportOrigin: "unknown",
            sportDetail: detail,
            distanceM: 0.1 + 0.2,
            // A lone surrogate: the drivers send text as UTF-8, so it is stored (and read back) as U+FFFD.
            notes: "line one\r\nline two ✓ \ud83c",
            provider: "strava\udc00",
          }),
          workoutAt(owner, new Date("2026-11-21T08:00:00Z"), 30, { avgHeartRate: null, distanceM: -0 }),
          workoutAt(owner, new Date("2026-11-21T10:00:00Z"), 30, { avgHeartRate: -0 }),
        ];
        const stored = await store.workouts.insertMany(inputs);
        expect(stored[0]?.notes).to.equal("line one\r\nline two ✓ \ufffd");
        expect(stored[0]?.provider).to.equal("strava\ufffd");
        // Nothing is shared with the caller's objects.
        inputs[0]?.startTime.setTime(0);
        expect(stored[0]?.startTime.toISOString()).to.equal("2026-11-21T06:00:00.000Z");
        expect(stored[1]?.createdAt).to.not.equal(stored[2]?.createdAt);
        expect(stored.map((w) => w.id)[0]).to.equal(given);
        expect(new Set(stored.map((w) => w.id)).size).to.equal(3);
        for (const record of stored) {
          expect(await store.workouts.getById(record.id)).to.deep.equal(record);
        }
        expect(stored[0]?.sportDetail).to.deep.equal({
          fileSport: "generic",
          speed: null,
          zeta: { b: 1e21, a: [0.1, 5e-324, 0] },
          inference: { sport: null, basis: ["speed"] },
        });
        // The caller's object is not the stored one.
        (detail as unknown as { fileSport: string }).fileSport = "changed";
        expect(stored[0]?.sportDetail).to.have.property("fileSport", "generic");
      });

      it("a sport detail JSON cannot carry is invalid input, not a database failure", async () => {
        const owner = randomAddress();
        const detail = { inference: { confidence: 1n } } as unknown as NonNullable<NewWorkout["sportDetail"]>;
        const error = await expectAgentError(
          store.workouts.insert(
            workoutAt(owner, new Date("2026-11-24T06:00:00Z"), 30, { sportDetail: detail }),
          ),
          ValidationError,
          "invalid_store_input",
        );
        expect(JSON.stringify(error.details)).to.include("must be JSON");
      });

      it("an id already taken fails as a ConflictError naming the table's key, and stores nothing", async () => {
        const owner = randomAddress();
        const first = await store.workouts.insert(workoutAt(owner, new Date("2026-11-23T06:00:00Z"), 30));
        const again = workoutAt(owner, new Date("2026-11-23T09:00:00Z"), 30, { id: first.id });
        const error = await expectAgentError(store.workouts.insert(again), ConflictError, "workout_id_taken");
        expect(error.details).to.deep.include({
          sqlState: "23505",
          constraint: "workouts_pkey",
          table: "workouts",
        });
        expect(error.cause).to.have.property("code", "23505");
        expect(await store.workouts.findByContentHashes(owner, [again.contentHash])).to.deep.equal([]);
      });

      it("a batch with a content hash stored before, or twice in it, stores none of it", async () => {
        const owner = randomAddress();
        const first = workoutAt(owner, new Date("2026-11-22T06:00:00Z"), 30);
        await store.workouts.insert(first);
        const fresh = workoutAt(owner, new Date("2026-11-22T09:00:00Z"), 30);
        const error = await expectAgentError(
          store.workouts.insertMany([
            fresh,
            {
              ...first,
              startTime: new Date("2026-11-22T11:00:00Z"),
              endTime: new Date("2026-11-22T11:30:00Z"),
            },
          ]),
          ConflictError,
          "duplicate",
        );
        expect(error.details.contentHash).to.equal(first.contentHash);
        const twice = workoutAt(owner, new Date("2026-11-22T13:00:00Z"), 30);
        await expectAgentError(store.workouts.insertMany([twice, twice]), ConflictError, "duplicate");
        expect(
          await store.workouts.findByContentHashes(owner, [fresh.contentHash, twice.contentHash]),
        ).to.deep.equal([]);
      });

      it("rejects invalid input before it reaches the database", async () => {
        const owner = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"; // EIP-55 test vector
        const badChecksum = owner.replace("fB", "Fb");
        const error = await expectAgentError(
          store.workouts.insert(workoutAt(badChecksum, START, 30)),
          ValidationError,
          "invalid_store_input",
        );
        expect(error.details.what).to.equal("workouts");
        expect((await store.workouts.insert(workoutAt(owner, START, 30))).owner).to.equal(owner);
        await expectAgentError(
          store.workouts.insert(
            workoutAt(randomAddress(), START, 30, { endTime: new Date(START.getTime() - 1) }),
          ),
          ValidationError,
          "invalid_store_input",
        );
      });

      it("enforces one content hash per owner: ConflictError `duplicate`, other owners unaffected", async () => {
        const owner = randomAddress();
        const first = workoutAt(owner, new Date("2026-11-19T06:00:00Z"), 40);
        await store.workouts.insert(first);
        const error = await expectAgentError(
          store.workouts.insert({
            ...first,
            startTime: new Date("2026-11-19T09:00:00Z"),
            endTime: new Date("2026-11-19T10:00:00Z"),
          }),
          ConflictError,
          "duplicate",
        );
        expect(error.details.contentHash).to.equal(first.contentHash);
        const other = await store.workouts.insert({ ...first, owner: randomAddress() });
        expect(other.contentHash).to.equal(first.contentHash);
      });

      it("maps a raw unique violation (a reused id) to ConflictError `workout_id_taken`", async () => {
        const owner = randomAddress();
        const stored = await store.workouts.insert(workoutAt(owner, START, 30));
        await expectAgentError(
          store.workouts.insert(workoutAt(owner, START, 30, { id: stored.id })),
          ConflictError,
          "workout_id_taken",
        );
      });

      it("insertMany is all or nothing", async () => {
        const owner = randomAddress();
        const a = workoutAt(owner, new Date("2026-11-18T06:00:00Z"), 30);
        const b = workoutAt(owner, new Date("2026-11-18T08:00:00Z"), 30);
        await expectAgentError(store.workouts.insertMany([a, b, { ...a }]), ConflictError, "duplicate");
        expect((await store.workouts.listByOwner(owner)).items).to.deep.equal([]);
        const stored = await store.workouts.insertMany([a, b]);
        expect(stored.map((w) => w.contentHash)).to.deep.equal([a.contentHash, b.contentHash]);
      });

      it("getById returns null for unknown and malformed ids", async () => {
        expect(await store.workouts.getById("00000000-0000-4000-8000-000000000000")).to.equal(null);
        expect(await store.workouts.getById("not-a-uuid")).to.equal(null);
      });

      it("pages an owner's workouts newest first with a cursor, without gaps or repeats", async () => {
        const owner = randomAddress();
        const inputs = Array.from({ length: 7 }, (_, i) =>
          workoutAt(owner, new Date(START.getTime() - i * 2 * HOUR), 60),
        );
        await store.workouts.insertMany(inputs);
        await store.workouts.insert(workoutAt(randomAddress(), START, 60)); // someone else's

        const first = await store.workouts.listByOwner(owner, { limit: 3 });
        expect(first.items).to.have.length(3);
        expect(first.nextCursor).to.be.a("string");
        const second = await store.workouts.listByOwner(owner, { limit: 3, cursor: first.nextCursor ?? "" });
        expect(second.items).to.have.length(3);
        const third = await store.workouts.listByOwner(owner, { limit: 3, cursor: second.nextCursor ?? "" });
        expect(third.items).to.have.length(1);
        expect(third.nextCursor).to.equal(null);

        const seen = [...first.items, ...second.items, ...third.items].map((w) => w.contentHash);
        expect(seen).to.deep.equal(inputs.map((w) => w.contentHash));
      });

      it("bounds the page size: clamped to 1..200, default 50", async () => {
        const owner = randomAddress();
        const many = Array.from({ length: 205 }, (_, i) =>
          workoutAt(owner, new Date(START.getTime() - i * HOUR), 30),
        );
        await store.workouts.insertMany(many);
        expect((await store.workouts.listByOwner(owner)).items).to.have.length(50);
        const capped = await store.workouts.listByOwner(owner, { limit: 10_000 });
        expect(capped.items).to.have.length(200);
        expect(capped.nextCursor).to.be.a("string");
        const rest = await store.workouts.listByOwner(owner, {
          limit: 10_000,
          cursor: capped.nextCursor ?? "",
        });
        expect(rest.items).to.have.length(5);
        expect((await store.workouts.listByOwner(owner, { limit: 0 })).items).to.have.length(1);
        await expectAgentError(
          store.workouts.listByOwner(owner, { limit: 2.5 }),
          ValidationError,
          "invalid_store_input",
        );
        await expectAgentError(
          store.workouts.listByOwner(owner, { cursor: "garbage" }),
          ValidationError,
          "invalid_cursor",
        );
      });

      it("findByContentHashesOrOverlapping gives the hash matches and the accepted overlaps, each once", async () => {
        const owner = randomAddress();
        const at = (iso: string) => new Date(iso);
        const early = await store.workouts.insert(workoutAt(owner, at("2026-11-23T07:00:00Z"), 60));
        const rejected = await store.workouts.insert(
          workoutAt(owner, at("2026-11-23T07:15:00Z"), 30, {
            verdict: { status: "rejected", reasons: [{ code: "overlaps_existing", message: "Overlaps." }] },
          }),
        );
        const late = await store.workouts.insert(workoutAt(owner, at("2026-11-23T18:00:00Z"), 60));
        await store.workouts.insert(workoutAt(randomAddress(), at("2026-11-23T07:00:00Z"), 60));
        const ranges = [
          { start: at("2026-11-23T07:30:00Z"), end: at("2026-11-23T07:45:00Z") },
          { start: at("2026-11-23T06:00:00Z"), end: at("2026-11-23T07:00:00Z") },
        ];
        const found = await store.workouts.findByContentHashesOrOverlapping(
          owner,
          [rejected.contentHash, late.contentHash],
          ranges,
        );
        expect(found.map((w) => w.id)).to.deep.equal([early.id, rejected.id, late.id]);
        const separately = [
          ...(await store.workouts.findByContentHashes(owner, [rejected.contentHash, late.contentHash])),
          ...(await store.workouts.acceptedOverlapping(
            owner,
            ranges[0]?.start ?? at(""),
            ranges[0]?.end ?? at(""),
          )),
        ];
        expect(found).to.deep.equal(
          [...new Map(separately.map((w) => [w.id, w])).values()].sort(
            (a, b) => a.startTime.getTime() - b.startTime.getTime(),
          ),
        );
        expect(
          await store.workouts.findByContentHashesOrOverlapping(owner, [], ranges.slice(1)),
        ).to.deep.equal([]);
        expect(await store.workouts.findByContentHashesOrOverlapping(owner, [], [])).to.deep.equal([]);
      });

      it("acceptedOverlapping finds accepted workouts overlapping a half-open range", async () => {
        const owner = randomAddress();
        const accepted = await store.workouts.insert(workoutAt(owner, new Date("2026-11-23T07:00:00Z"), 60));
        await store.workouts.insert(
          workoutAt(owner, new Date("2026-11-23T07:15:00Z"), 30, {
            verdict: { status: "rejected", reasons: [{ code: "overlaps_existing", message: "Overlaps." }] },
          }),
        );
        await store.workouts.insert(workoutAt(randomAddress(), new Date("2026-11-23T07:00:00Z"), 60));

        const at = (iso: string) => new Date(iso);
        const inside = await store.workouts.acceptedOverlapping(
          owner,
          at("2026-11-23T07:30:00Z"),
          at("2026-11-23T07:45:00Z"),
        );
        expect(inside.map((w) => w.id)).to.deep.equal([accepted.id]);
        const touchingEnd = await store.workouts.acceptedOverlapping(
          owner,
          at("2026-11-23T08:00:00Z"),
          at("2026-11-23T09:00:00Z"),
        );
        expect(touchingEnd).to.deep.equal([]);
        const touchingStart = await store.workouts.acceptedOverlapping(
          owner,
          at("2026-11-23T06:00:00Z"),
          at("2026-11-23T07:00:00Z"),
        );
        expect(touchingStart).to.deep.equal([]);
        const covering = await store.workouts.acceptedOverlapping(
          owner,
          at("2026-11-23T06:59:59Z"),
          at("2026-11-23T07:00:01Z"),
        );
        expect(covering).to.have.length(1);
      });

      it("lockOwner serialises check-then-insert transactions for one owner", async () => {
        const owner = randomAddress();
        const slot = new Date("2026-11-24T07:00:00Z");
        const order: string[] = [];
        let signalLocked: () => void = () => {};
        const locked = new Promise<void>((resolve) => {
          signalLocked = resolve;
        });
        const verifyAndInsert = (name: string, onLocked?: () => void) =>
          store.transaction(async (tx) => {
            await tx.workouts.lockOwner(owner);
            onLocked?.();
            order.push(`${name} locked`);
            const overlapping = await tx.workouts.acceptedOverlapping(
              owner,
              slot,
              new Date(slot.getTime() + HOUR),
            );
            await new Promise((resolve) => setTimeout(resolve, 50));
            const status = overlapping.length === 0 ? "accepted" : "rejected";
            await tx.workouts.insert(workoutAt(owner, slot, 60, { verdict: { status, reasons: [] } }));
            order.push(`${name} ${status}`);
          });
        const first = verifyAndInsert("first", signalLocked);
        await locked;
        const second = verifyAndInsert("second");
        await Promise.all([first, second]);
        expect(order).to.deep.equal(["first locked", "first accepted", "second locked", "second rejected"]);
      });
    });

    describe("rules documents", () => {
      it("stores canonical JSON by hash, idempotently, and refuses a different text under the same hash", async () => {
        const hash = randomBytes32();
        const json = '{"evidence":"device","perMilestone":{"minMinutes":30,"minWorkouts":3},"version":1}';
        const stored = await store.rulesDocuments.put(hash.toUpperCase().replace("0X", "0x"), json);
        expect(stored.rulesHash).to.equal(hash);
        expect(await store.rulesDocuments.put(hash, json)).to.deep.equal(stored);
        await expectAgentError(
          store.rulesDocuments.put(hash, '{"version":2}'),
          ConflictError,
          "rules_hash_mismatch",
        );
        expect((await store.rulesDocuments.get(hash))?.canonicalJson).to.equal(json);
        expect(await store.rulesDocuments.get(randomBytes32())).to.equal(null);
      });
    });

    describe("change feed", () => {
      const vault = randomAddress();
      const commitmentInput = (owner: string, id: bigint) => ({
        chainId: 31337,
        vault,
        commitmentId: id,
        owner,
        token: "0x0000000000000000000000000000000000000000",
        amount: 10n ** 18n,
        start: 1_795_392_000,
        period: 604_800,
        milestones: 1,
        grace: 86_400,
        beneficiary: randomAddress(),
        rulesHash: randomBytes32(),
        closed: false,
        milestoneStates: ["Open"] as "Open"[],
        updatedBlock: 10,
      });

      function listen(): { changes: StoreChange[]; stop: () => void } {
        const changes: StoreChange[] = [];
        const stop = store.changes.subscribe((change) => changes.push(change));
        return { changes, stop };
      }

      it("reports stored workouts, written and deleted commitments and rules documents once they are written", async () => {
        const { changes, stop } = listen();
        try {
          const owner = randomAddress();
          const other = randomAddress();
          const inserted = store.workouts.insert(workoutAt(owner, START, 30));
          expect(changes, "nothing before the write resolves").to.deep.equal([]);
          await inserted;
          await store.workouts.insertMany([workoutAt(owner, START, 30), workoutAt(other, START, 30)]);
          await store.commitments.upsert(commitmentInput(owner, 7n));
          await store.commitments.delete({ chainId: 31337, vault, commitmentId: 7n });
          await store.commitments.delete({ chainId: 31337, vault, commitmentId: 7n }); // nothing left: no change
          await store.commitments.insertIfAbsent(commitmentInput(other, 9n));
          const rulesHash = randomBytes32();
          await store.rulesDocuments.put(rulesHash, '{"version":1}');
          expect(changes).to.deep.equal([
            { kind: "workouts", owner: getAddress(owner) },
            { kind: "workouts", owner: getAddress(owner) },
            { kind: "workouts", owner: getAddress(other) },
            { kind: "commitment", commitmentId: "7", owner: getAddress(owner) },
            { kind: "commitment", commitmentId: "7", owner: null },
            { kind: "commitment", commitmentId: "9", owner: getAddress(other) },
            { kind: "rulesDocument", rulesHash },
          ]);
        } finally {
          stop();
        }
      });

      it("reports a transaction's writes after its commit, and nothing of one rolled back", async () => {
        const { changes, stop } = listen();
        try {
          const owner = randomAddress();
          await store.transaction(async (tx) => {
            await tx.workouts.insert(workoutAt(owner, START, 30));
            await tx.commitments.upsert(commitmentInput(owner, 8n));
            expect(changes, "nothing before the commit").to.deep.equal([]);
          });
          expect(changes.map((change) => change.kind)).to.deep.equal(["workouts", "commitment"]);

          changes.length = 0;
          const failure = new Error("abandoned");
          const error = await rejectionOf(
            store.transaction(async (tx) => {
              await tx.workouts.insert(workoutAt(randomAddress(), START, 30));
              throw failure;
            }),
          );
          expect(error).to.equal(failure);
          expect(changes).to.deep.equal([]);
        } finally {
          stop();
        }
      });

      it("keeps a write whose change listener throws, and stops reporting to an unsubscribed listener", async () => {
        const stop = store.changes.subscribe(() => {
          throw new Error("listener bug");
        });
        const { changes, stop: stopListening } = listen();
        const owner = randomAddress();
        const stored = await store.workouts.insert(workoutAt(owner, START, 30));
        expect(await store.workouts.getById(stored.id)).to.not.equal(null);
        expect(changes, "the other listeners still hear of it").to.have.length(1);
        stop();
        stopListening();
        await store.workouts.insert(workoutAt(owner, new Date(START.getTime() + HOUR), 30));
        expect(changes).to.have.length(1);
      });
    });

    describe("commitments cache", () => {
      const vault = randomAddress();

      function commitment(owner: string, id: bigint) {
        return {
          chainId: 31337,
          vault,
          commitmentId: id,
          owner,
          token: "0x0000000000000000000000000000000000000000",
          amount: 2n ** 256n - 1n,
          start: 1_795_392_000,
          period: 604_800,
          milestones: 3,
          grace: 86_400,
          beneficiary: randomAddress(),
          rulesHash: randomBytes32(),
          closed: false,
          milestoneStates: ["Open", "Open", "Open"] as ("Open" | "Released" | "Slashed" | "Refunded")[],
          updatedBlock: 10,
        };
      }

      it("insertIfAbsent inserts a missing row, and answers the cached row unchanged when there is one", async () => {
        const owner = randomAddress();
        const input = commitment(owner, 77n);
        const inserted = await store.commitments.insertIfAbsent(input);
        expect(inserted).to.deep.include({ commitmentId: 77n, updatedBlock: 10, closed: false });
        clock.advance(MINUTE);
        const again = await store.commitments.insertIfAbsent({
          ...input,
          closed: true,
          milestoneStates: ["Released", "Released", "Released"],
          updatedBlock: Number.MAX_SAFE_INTEGER,
        });
        expect(again).to.deep.equal(inserted);
        expect(await store.commitments.get({ chainId: 31337, vault, commitmentId: 77n })).to.deep.equal(
          inserted,
        );
      });

      it("upserts, reads back uint256 values exactly, and updates in place", async () => {
        const owner = randomAddress();
        const input = commitment(owner, 2n ** 200n);
        const created = await store.commitments.upsert(input);
        expect(created).to.deep.include({
          chainId: 31337,
          vault: getAddress(vault),
          commitmentId: 2n ** 200n,
          owner: getAddress(owner),
          amount: 2n ** 256n - 1n,
          start: 1_795_392_000,
          milestones: 3,
          closed: false,
          updatedBlock: 10,
        });
        const key = { chainId: 31337, vault, commitmentId: 2n ** 200n };
        expect(await store.commitments.get(key)).to.deep.equal(created);

        clock.advance(MINUTE);
        const updated = await store.commitments.upsert({
          ...input,
          closed: true,
          milestoneStates: ["Released", "Slashed", "Released"],
          updatedBlock: 12,
        });
        expect(updated.milestoneStates).to.deep.equal(["Released", "Slashed", "Released"]);
        expect(updated.updatedAt.getTime()).to.equal(clock.now());
        expect(await store.commitments.get(key)).to.deep.equal(updated);
        expect(await store.commitments.get({ ...key, commitmentId: 1n })).to.equal(null);
      });

      it("lists an owner's commitments by ascending id, bounded", async () => {
        const owner = randomAddress();
        for (const id of [30n, 10n, 20n]) await store.commitments.upsert(commitment(owner, id));
        await store.commitments.upsert(commitment(randomAddress(), 40n));
        const all = await store.commitments.listByOwner({ chainId: 31337, vault, owner });
        expect(all.map((c) => c.commitmentId)).to.deep.equal([10n, 20n, 30n]);
        const two = await store.commitments.listByOwner({ chainId: 31337, vault, owner, limit: 2 });
        expect(two.map((c) => c.commitmentId)).to.deep.equal([10n, 20n]);
      });

      it("rejects milestone states that do not match the milestone count", async () => {
        await expectAgentError(
          store.commitments.upsert({ ...commitment(randomAddress(), 1n), milestoneStates: ["Open"] }),
          ValidationError,
          "invalid_store_input",
        );
      });
    });

    describe("attestations", () => {
      it("getOrCreate is idempotent: the second request returns the first attestation, one row", async () => {
        const vault = randomAddress();
        const signer = randomAddress();
        const first = {
          chainId: 31337,
          vault,
          commitmentId: 7n,
          milestoneIndex: 2,
          signer,
          evidenceHash: randomBytes32(),
          validUntil: 1_795_400_000,
          signature: `0x${"1b".repeat(65)}`,
        };
        const a = await store.attestations.getOrCreate(first);
        expect(a.created).to.equal(true);
        clock.advance(MINUTE);
        const b = await store.attestations.getOrCreate({
          ...first,
          evidenceHash: randomBytes32(),
          validUntil: 1_795_500_000,
          signature: `0x${"1c".repeat(65)}`,
        });
        expect(b.created).to.equal(false);
        expect(b.attestation).to.deep.equal(a.attestation);
        expect(b.attestation.evidenceHash).to.equal(first.evidenceHash);
        const milestone = { chainId: 31337, vault, commitmentId: 7n, milestoneIndex: 2 };
        expect(await store.attestations.listForMilestone(milestone)).to.have.length(1);
        expect(await store.attestations.get({ ...milestone, signer })).to.deep.equal(a.attestation);
      });

      it("keeps one attestation per signer, listed by ascending signer", async () => {
        const vault = randomAddress();
        const milestone = { chainId: 1, vault, commitmentId: 1n, milestoneIndex: 0 };
        const signers = [randomAddress(), randomAddress(), randomAddress()];
        const results = await Promise.all(
          signers.map((signer) =>
            store.attestations.getOrCreate({
              ...milestone,
              signer,
              evidenceHash: randomBytes32(),
              validUntil: 1,
              signature: `0x${"aa".repeat(65)}`,
            }),
          ),
        );
        expect(results.every((r) => r.created)).to.equal(true);
        const listed = await store.attestations.listForMilestone(milestone);
        expect(listed.map((a) => a.signer)).to.deep.equal(signers.sort().map((s) => getAddress(s)));
      });

      it("put keeps the signer's latest evidence set: the same set is returned unchanged, a new one replaces it", async () => {
        const vault = randomAddress();
        const signer = randomAddress();
        const milestone = { chainId: 31337, vault, commitmentId: 9n, milestoneIndex: 1 };
        const first = {
          ...milestone,
          signer,
          evidenceHash: randomBytes32(),
          validUntil: 1_795_400_000,
          signature: `0x${"1b".repeat(65)}`,
        };
        const a = await store.attestations.put(first);
        expect(a.created).to.equal(true);
        clock.advance(MINUTE);
        const same = await store.attestations.put(first);
        expect(same).to.deep.equal({ attestation: a.attestation, created: false });
        const other = { ...first, evidenceHash: randomBytes32(), signature: `0x${"1c".repeat(65)}` };
        const b = await store.attestations.put(other);
        expect(b.created).to.equal(true);
        expect(b.attestation).to.deep.include({
          evidenceHash: other.evidenceHash,
          signature: other.signature,
          validUntil: first.validUntil,
        });
        expect(b.attestation.createdAt.getTime()).to.equal(a.attestation.createdAt.getTime() + MINUTE);
        expect(await store.attestations.listForMilestone(milestone)).to.deep.equal([b.attestation]);
      });

      it("concurrent identical requests create exactly one row", async () => {
        const attestation = {
          chainId: 5,
          vault: randomAddress(),
          commitmentId: 3n,
          milestoneIndex: 1,
          signer: randomAddress(),
          evidenceHash: randomBytes32(),
          validUntil: 2,
          signature: `0x${"bb".repeat(65)}`,
        };
        const results = await Promise.all(
          Array.from({ length: 5 }, () => store.attestations.getOrCreate(attestation)),
        );
        expect(results.filter((r) => r.created)).to.have.length(1);
        expect(new Set(results.map((r) => r.attestation.createdAt.getTime())).size).to.equal(1);
      });
    });

    describe("indexer cursor", () => {
      it("round-trips and moves, including backwards after a reorg", async () => {
        const key = { chainId: 31337, vault: randomAddress() };
        expect(await store.indexerCursor.get(key)).to.equal(null);
        const hash = randomBytes32();
        const set = await store.indexerCursor.set({ ...key, blockNumber: 100, blockHash: hash });
        expect(await store.indexerCursor.get(key)).to.deep.equal(set);
        expect(set).to.deep.include({
          chainId: 31337,
          vault: getAddress(key.vault),
          blockNumber: 100,
          blockHash: hash,
        });
        await store.indexerCursor.set({ ...key, blockNumber: 150, blockHash: randomBytes32() });
        const back = await store.indexerCursor.set({ ...key, blockNumber: 90, blockHash: hash });
        expect((await store.indexerCursor.get(key, { forUpdate: false }))?.blockNumber).to.equal(90);
        expect(back.blockNumber).to.equal(90);
      });

      it("create makes the first cursor once: a second create finds it and changes nothing", async () => {
        const key = { chainId: 31337, vault: randomAddress() };
        const first = await store.indexerCursor.create({
          ...key,
          blockNumber: 7,
          blockHash: randomBytes32(),
        });
        expect(first?.blockNumber).to.equal(7);
        expect(
          await store.indexerCursor.create({ ...key, blockNumber: 9, blockHash: randomBytes32() }),
        ).to.equal(null);
        expect(await store.indexerCursor.get(key)).to.deep.equal(first);
      });

      it("moves together with the indexed rows in a transaction, or not at all", async () => {
        const key = { chainId: 31337, vault: randomAddress() };
        const owner = randomAddress();
        const row = {
          ...key,
          commitmentId: 1n,
          owner,
          token: randomAddress(),
          amount: 100n,
          start: 1,
          period: 3600,
          milestones: 1,
          grace: 0,
          beneficiary: randomAddress(),
          rulesHash: randomBytes32(),
          closed: false,
          milestoneStates: ["Open" as const],
          updatedBlock: 5,
        };
        const failure = new Error("indexer crashed mid-batch");
        const thrown = await rejectionOf(
          store.transaction(async (tx) => {
            await tx.indexerCursor.get(key, { forUpdate: true });
            await tx.commitments.upsert(row);
            await tx.indexerCursor.set({ ...key, blockNumber: 5, blockHash: randomBytes32() });
            throw failure;
          }),
        );
        expect(thrown).to.equal(failure);
        expect(await store.indexerCursor.get(key)).to.equal(null);
        expect(await store.commitments.get({ ...key, commitmentId: 1n })).to.equal(null);

        const result = await store.transaction(async (tx) => {
          await tx.commitments.upsert(row);
          return tx.indexerCursor.set({ ...key, blockNumber: 5, blockHash: randomBytes32() });
        });
        expect(await store.indexerCursor.get(key)).to.deep.equal(result);
        expect((await store.commitments.get({ ...key, commitmentId: 1n }))?.owner).to.equal(
          getAddress(owner),
        );
      });
    });

    describe("audit log", () => {
      it("appends entries stamped by the clock and lists them newest first, bounded", async () => {
        const subject = `commitment:31337:${randomAddress()}:1`;
        const appended = [];
        for (let i = 0; i < 4; i++) {
          clock.advance(1_000);
          appended.push(
            await store.auditLog.append({
              actor: "keeper",
              action: "milestone.slashed",
              subject,
              details: { index: i },
            }),
          );
        }
        expect(appended[0]?.at.getTime()).to.equal(clock.now() - 3_000);
        const listed = await store.auditLog.list({ subject });
        expect(listed.map((e) => e.details.index)).to.deep.equal([3, 2, 1, 0]);
        const page = await store.auditLog.list({ subject, limit: 2 });
        expect(page.map((e) => e.details.index)).to.deep.equal([3, 2]);
        const next = await store.auditLog.list({ subject, limit: 2, beforeId: page[1]?.id });
        expect(next.map((e) => e.details.index)).to.deep.equal([1, 0]);
        expect(await store.auditLog.list({ limit: 100_000 })).to.have.length.at.most(500);
        await expectAgentError(
          store.auditLog.append({ actor: "x", action: "y", details: { amount: 1n } }),
          ValidationError,
          "invalid_store_input",
        );
      });

      it("appends several entries in one call, in the order given, all or none", async () => {
        const subject = `test:many:${randomToken("s-")}`;
        expect(await store.auditLog.appendMany([])).to.equal(0);
        const entries = [0, 1, 2].map((index) => ({
          actor: "system",
          action: "test.many",
          subject,
          details: { index },
        }));
        expect(await store.auditLog.appendMany(entries)).to.equal(3);
        // Newest first: the ids increase in the order given.
        const listed = await store.auditLog.list({ subject });
        expect(listed.map((e) => e.details.index)).to.deep.equal([2, 1, 0]);
        expect(listed[2]?.id).to.be.below(listed[1]?.id ?? 0);
        expect(listed[1]?.id).to.be.below(listed[0]?.id ?? 0);
        expect(listed.every((e) => e.at.getTime() === clock.now())).to.equal(true);
        expect(listed.map(({ actor, action, subject: s }) => ({ actor, action, subject: s }))).to.deep.equal(
          [0, 1, 2].map(() => ({ actor: "system", action: "test.many", subject })),
        );
        await expectAgentError(
          store.auditLog.appendMany([
            ...entries,
            { actor: "x", action: "y", subject, details: { amount: 1n } },
          ]),
          ValidationError,
          "invalid_store_input",
        );
        expect(await store.auditLog.list({ subject })).to.have.length(3);
      });

      it("rejects UPDATE, DELETE and TRUNCATE in the database itself", async () => {
        const { database } = raw();
        const entry = await store.auditLog.append({
          actor: "system",
          action: "test.append_only",
          details: { ok: true },
        });
        for (const statement of [
          sql`update audit_log set action = 'tampered' where id = ${entry.id}`,
          sql`delete from audit_log where id = ${entry.id}`,
          sql`delete from audit_log where false`,
          sql`truncate audit_log`,
        ]) {
          const error = await rejectionOf(database.db.execute(statement));
          expect(String((error as Error).cause ?? error)).to.match(/audit_log is append-only/);
          const mapped = mapDatabaseError(error, "audit tamper");
          expect(mapped).to.be.instanceOf(ConflictError);
          expect(mapped.code).to.equal("append_only");
        }
        const [kept] = await store.auditLog.list({ subject: undefined, limit: 1 });
        expect(kept).to.deep.equal(entry);
      });
    });

    describe("idempotency keys", () => {
      it("claims once, reports in-progress, replays the completed response, refuses a different request", async () => {
        const ref = { owner: randomAddress(), key: randomToken("key-") };
        const claim = { ...ref, requestHash: "sha256:aaa", ttlMs: HOUR };
        const first = await store.idempotencyKeys.claim(claim);
        expect(first.outcome).to.equal("claimed");
        expect(first.record.expiresAt.getTime()).to.equal(clock.now() + HOUR);
        expect((await store.idempotencyKeys.claim(claim)).outcome).to.equal("in_progress");
        await expectAgentError(
          store.idempotencyKeys.claim({ ...claim, requestHash: "sha256:bbb" }),
          ConflictError,
          "idempotency_key_reused",
        );
        const completed = await store.idempotencyKeys.complete({
          ...ref,
          responseStatus: 201,
          responseBody: { id: 1 },
        });
        expect(completed.state).to.equal("completed");
        const replay = await store.idempotencyKeys.claim(claim);
        expect(replay.outcome).to.equal("completed");
        expect(replay.record).to.deep.include({ responseStatus: 201, responseBody: { id: 1 } });
        await expectAgentError(
          store.idempotencyKeys.complete({ ...ref, responseStatus: 500, responseBody: null }),
          ConflictError,
          "idempotency_key_completed",
        );
        await expectAgentError(
          store.idempotencyKeys.complete({
            ...ref,
            key: "never-claimed",
            responseStatus: 200,
            responseBody: null,
          }),
          NotFoundError,
          "idempotency_key_not_found",
        );
      });

      it("a pending claim past its lease is taken over by the same request, and the old claim can neither complete nor release it", async () => {
        const ref = { owner: randomAddress(), key: randomToken("key-") };
        const claim = { ...ref, requestHash: "sha256:lease", ttlMs: HOUR, pendingLeaseMs: MINUTE };
        const dead = await store.idempotencyKeys.claim(claim);
        expect(dead.outcome).to.equal("claimed");
        clock.advance(MINUTE - 1);
        expect((await store.idempotencyKeys.claim(claim)).outcome).to.equal("in_progress");
        // Without a lease a pending claim is never taken over.
        clock.advance(1);
        const { pendingLeaseMs: _, ...withoutLease } = claim;
        expect((await store.idempotencyKeys.claim(withoutLease)).outcome).to.equal("in_progress");
        // Another request under the key is still refused.
        await expectAgentError(
          store.idempotencyKeys.claim({ ...claim, requestHash: "sha256:other" }),
          ConflictError,
          "idempotency_key_reused",
        );
        const retry = await store.idempotencyKeys.claim(claim);
        expect(retry.outcome).to.equal("claimed");
        expect(retry.record.createdAt.getTime()).to.equal(clock.now());
        // The dead holder's late answer: refused, and it cannot drop the new claim.
        await expectAgentError(
          store.idempotencyKeys.complete({
            ...ref,
            claimedAt: dead.record.createdAt,
            responseStatus: 201,
            responseBody: { late: true },
          }),
          ConflictError,
          "idempotency_key_claimed_again",
        );
        expect(await store.idempotencyKeys.release({ ...ref, claimedAt: dead.record.createdAt })).to.equal(
          false,
        );
        expect((await store.idempotencyKeys.get(ref))?.state).to.equal("pending");
        const done = await store.idempotencyKeys.complete({
          ...ref,
          claimedAt: retry.record.createdAt,
          responseStatus: 201,
          responseBody: { id: 2 },
        });
        expect(done).to.deep.include({ state: "completed", responseBody: { id: 2 } });
        // A completed key is never taken over, lease or not.
        clock.advance(HOUR - MINUTE - 1);
        expect((await store.idempotencyKeys.claim(claim)).outcome).to.equal("completed");
      });

      it("scopes keys per owner, releases failed claims, and lets an expired key be claimed afresh", async () => {
        const key = randomToken("key-");
        const alice = { owner: randomAddress(), key, requestHash: "h1", ttlMs: MINUTE };
        const bob = { ...alice, owner: randomAddress(), requestHash: "h2" };
        expect((await store.idempotencyKeys.claim(alice)).outcome).to.equal("claimed");
        expect((await store.idempotencyKeys.claim(bob)).outcome).to.equal("claimed");

        expect(await store.idempotencyKeys.release(bob)).to.equal(true);
        expect(await store.idempotencyKeys.get(bob)).to.equal(null);
        expect((await store.idempotencyKeys.claim(bob)).outcome).to.equal("claimed");

        clock.advance(MINUTE - 1);
        expect((await store.idempotencyKeys.get(alice))?.requestHash).to.equal("h1");
        clock.advance(1);
        expect(await store.idempotencyKeys.get(alice)).to.equal(null);
        const again = await store.idempotencyKeys.claim({ ...alice, requestHash: "h3" });
        expect(again.outcome).to.equal("claimed");
        expect(again.record.requestHash).to.equal("h3");
      });

      it("purges expired keys in bounded batches", async () => {
        const owner = randomAddress();
        for (let i = 0; i < 5; i++) {
          await store.idempotencyKeys.claim({ owner, key: `purge-${i}`, requestHash: "h", ttlMs: 1_000 });
        }
        await store.idempotencyKeys.claim({ owner, key: "purge-live", requestHash: "h", ttlMs: 10 * HOUR });
        clock.advance(1_000);
        let purged = 0;
        for (let batch = await store.idempotencyKeys.purgeExpired({ limit: 2 }); batch > 0; ) {
          expect(batch).to.be.at.most(2);
          purged += batch;
          batch = await store.idempotencyKeys.purgeExpired({ limit: 2 });
        }
        expect(purged).to.be.at.least(5);
        expect(await store.idempotencyKeys.get({ owner, key: "purge-live" })).to.not.equal(null);
      });
    });

    describe("SIWE nonces and sessions", () => {
      it("a nonce is consumed once", async () => {
        const nonce = randomToken("n");
        await store.siweNonces.issue(nonce, 5 * MINUTE);
        expect(await store.siweNonces.consume(nonce)).to.equal(true);
        expect(await store.siweNonces.consume(nonce)).to.equal(false);
        expect(await store.siweNonces.consume(randomToken("n"))).to.equal(false);
        expect(await store.siweNonces.consume("bad nonce!")).to.equal(false);
        await expectAgentError(store.siweNonces.issue(nonce, MINUTE), ConflictError, "nonce_exists");
      });

      it("a nonce expires exactly at its expiry", async () => {
        const early = randomToken("n");
        const late = randomToken("n");
        await store.siweNonces.issue(early, 5 * MINUTE);
        await store.siweNonces.issue(late, 5 * MINUTE);
        clock.advance(5 * MINUTE - 1);
        expect(await store.siweNonces.consume(early)).to.equal(true);
        clock.advance(1);
        expect(await store.siweNonces.consume(late)).to.equal(false);
        expect(await store.siweNonces.purgeExpired({ limit: 10_000 })).to.be.at.least(2);
      });

      it("concurrent consumers of one nonce: exactly one wins", async () => {
        const nonce = randomToken("n");
        await store.siweNonces.issue(nonce, MINUTE);
        const results = await Promise.all(Array.from({ length: 8 }, () => store.siweNonces.consume(nonce)));
        expect(results.filter(Boolean)).to.have.length(1);
      });

      it("a session is valid until it expires, and ends at logout", async () => {
        const address = randomAddress();
        const id = randomToken("session-");
        const created = await store.sessions.create({ id, address, chainId: 31337, ttlMs: HOUR });
        expect(created.address).to.equal(getAddress(address));
        expect(await store.sessions.get(id)).to.deep.equal(created);
        await expectAgentError(
          store.sessions.create({ id, address, chainId: 1, ttlMs: HOUR }),
          ConflictError,
          "session_exists",
        );
        clock.advance(HOUR);
        expect(await store.sessions.get(id)).to.equal(null);
        expect(await store.sessions.purgeExpired()).to.be.at.least(1);

        const other = randomToken("session-");
        await store.sessions.create({ id: other, address, chainId: 1, ttlMs: HOUR });
        expect(await store.sessions.delete(other)).to.equal(true);
        expect(await store.sessions.delete(other)).to.equal(false);
        expect(await store.sessions.get(other)).to.equal(null);
      });
    });

    describe("locks", () => {
      it("is exclusive until released or expired, and renewable by its holder", async () => {
        const name = randomToken("keeper-");
        expect(await store.locks.tryAcquire(name, "instance-a", 30_000)).to.equal(true);
        expect(await store.locks.tryAcquire(name, "instance-b", 30_000)).to.equal(false);
        clock.advance(20_000);
        expect(await store.locks.tryAcquire(name, "instance-a", 30_000)).to.equal(true); // renewed to +30 s
        clock.advance(20_000);
        expect(await store.locks.tryAcquire(name, "instance-b", 30_000)).to.equal(false);
        clock.advance(10_000);
        expect(await store.locks.tryAcquire(name, "instance-b", 30_000)).to.equal(true); // a's lease expired
        expect(await store.locks.release(name, "instance-a")).to.equal(false);
        expect(await store.locks.tryAcquire(name, "instance-a", 30_000)).to.equal(false);
        expect(await store.locks.release(name, "instance-b")).to.equal(true);
        expect(await store.locks.tryAcquire(name, "instance-a", 30_000)).to.equal(true);
      });

      it("purges leases that expired over an hour ago, and only those", async () => {
        const stale = randomToken("claim-");
        const recent = randomToken("claim-");
        expect(await store.locks.tryAcquire(stale, "instance-a", 1_000)).to.equal(true);
        clock.advance(LEASE_PURGE_AFTER_MS);
        expect(await store.locks.tryAcquire(recent, "instance-a", 1_000)).to.equal(true);
        clock.advance(2_000);
        expect(await store.locks.purgeExpired({ limit: 10_000 })).to.be.at.least(1);
        expect(await store.locks.release(stale, "instance-a")).to.equal(false); // its row is gone
        expect(await store.locks.release(recent, "instance-a")).to.equal(true); // expired 1 s ago: kept
      });

      it("concurrent acquirers: exactly one wins", async () => {
        const name = randomToken("relayer-");
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.locks.tryAcquire(name, `instance-${i}`, 30_000)),
        );
        expect(results.filter(Boolean)).to.have.length(1);
      });
    });
  });
}
