/**
 * Timestamps of every year come back from the store as the instant that was stored (docs/reliability.md, bug 27:
 * drizzle's `new Date(text)` read year 26 as an invalid date and year 1 as 2005).
 */
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import pg from "pg";
import { ManualClock } from "../../src/clock.ts";
import { openDatabase } from "../../src/store/database.ts";
import { parsePgTimestamptz } from "../../src/store/pgTimestamp.ts";
import type { Store } from "../../src/store/store.ts";
import { createStore } from "../../src/store/store.ts";
import type { NewWorkout } from "../../src/store/workoutsRepository.ts";
import {
  type OpenedTestStore,
  openOrSkip,
  postgresDriver,
  skipOrFailUnreachable,
  storeDrivers,
  TEST_DATABASE_URL,
} from "./storeDrivers.ts";

const OWNER = "0x00000000000000000000000000000000000000a1";

/** A half-hour manual run of OWNER starting at `start` (ISO), its content hash made from `n`. */
function halfHourRun(start: string, n: number): NewWorkout {
  return {
    owner: OWNER,
    source: "manual",
    contentHash: `0x${n.toString(16).padStart(64, "0")}`,
    sport: "run",
    startTime: new Date(start),
    endTime: new Date(Date.parse(start) + 30 * 60_000),
    durationSec: 1_800,
    elapsedSec: 1_800,
    verdict: { status: "accepted", reasons: [] },
  };
}

describe("parsePgTimestamptz", () => {
  const cases: [text: string, iso: string][] = [
    ["2026-03-05 10:00:00+00", "2026-03-05T10:00:00.000Z"],
    ["2026-03-05 10:00:00.123456+00", "2026-03-05T10:00:00.123Z"],
    ["2026-03-05 10:00:00.5+00", "2026-03-05T10:00:00.500Z"],
    ["2026-03-05 10:00:00+05:30", "2026-03-05T04:30:00.000Z"],
    ["2026-03-05 10:00:00-03", "2026-03-05T13:00:00.000Z"],
    ["0026-03-05 10:00:00+00", "0026-03-05T10:00:00.000Z"],
    ["0001-01-01 00:00:00+00", "0001-01-01T00:00:00.000Z"],
    ["0099-12-31 23:59:59.999+00", "0099-12-31T23:59:59.999Z"],
    ["9999-12-31 23:59:59+00", "9999-12-31T23:59:59.000Z"],
    // Local mean time: what a server in Europe/Amsterdam sends for an old date.
    ["0026-03-05 10:19:32+00:19:32", "0026-03-05T10:00:00.000Z"],
    ["0001-06-01 10:00:00+00 BC", "0000-06-01T10:00:00.000Z"],
    // Leap days of years whose Date.UTC reading (1900 + year) has none.
    ["0024-02-29 12:00:00+00", "0024-02-29T12:00:00.000Z"],
    ["0001-02-29 12:00:00+00 BC", "0000-02-29T12:00:00.000Z"],
    ["1500-07-01 00:00:00+00", "1500-07-01T00:00:00.000Z"],
  ];
  for (const [text, iso] of cases) {
    it(`reads ${text} as ${iso}`, () => {
      expect(parsePgTimestamptz(text).toISOString()).to.equal(iso);
    });
  }

  it("leaves any other text to new Date, as drizzle did", () => {
    expect(Number.isNaN(parsePgTimestamptz("infinity").getTime())).to.equal(true);
    expect(parsePgTimestamptz("2026-03-05T10:00:00Z").toISOString()).to.equal("2026-03-05T10:00:00.000Z");
  });
});

for (const driver of storeDrivers) {
  describe(`timestamps of every year on ${driver.name}`, () => {
    const clock = new ManualClock(new Date("2026-12-06T12:00:00Z"));
    let opened: OpenedTestStore;
    let store: Store;

    before(async function () {
      opened = await openOrSkip(this, driver, clock, this.test?.parent?.title ?? driver.name);
      store = opened.store;
    });

    after(async () => {
      await opened?.cleanup();
    });

    it("a workout stored in years 1 to 9999 is read back at the same instant, one by one and listed", async () => {
      const starts = [
        "0001-01-01T00:00:00.000Z",
        "0001-03-05T10:00:00.000Z",
        "0010-03-05T10:00:00.000Z",
        "0026-03-05T10:00:00.000Z",
        "0050-06-01T00:00:00.000Z",
        "0099-12-31T23:00:00.000Z",
        "0100-01-01T00:00:00.000Z",
        "1969-12-31T23:59:59.999Z",
        "2026-12-06T08:00:00.123Z",
        "9999-12-31T22:00:00.000Z",
      ];
      const stored = await store.workouts.insertMany(starts.map((start, index) => halfHourRun(start, index)));
      expect(stored.map((w) => w.startTime.toISOString())).to.deep.equal(starts);
      for (const workout of stored) {
        const read = await store.workouts.getById(workout.id);
        expect(read?.startTime.toISOString()).to.equal(workout.startTime.toISOString());
        expect(read?.endTime.getTime()).to.equal(workout.startTime.getTime() + 30 * 60_000);
      }
      const page = await store.workouts.listByOwner(OWNER, { limit: 50 });
      expect(page.items.map((w) => w.startTime.toISOString()).sort()).to.deep.equal([...starts].sort());
    });
  });
}

describe(`timestamps under another DateStyle on ${postgresDriver.name}`, () => {
  const role = `agent_datestyle_${randomBytes(4).toString("hex")}`;
  const schema = `${role}_schema`;
  let admin: pg.Client;

  before(async function () {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 });
    try {
      await admin.connect();
    } catch (error) {
      await admin.end().catch(() => {});
      skipOrFailUnreachable(this, this.test?.parent?.title ?? "DateStyle", error as Error);
    }
    // A role whose sessions default to German dates: "06.12.2026 08:00:00 UTC".
    await admin.query(`create role "${role}" login`);
    await admin.query(`alter role "${role}" set datestyle = 'German, DMY'`);
    await admin.query(`create schema "${schema}" authorization "${role}"`);
    // The migrations' `create schema if not exists` needs the right to create schemas at all.
    await admin.query(
      `grant create on database "${new URL(TEST_DATABASE_URL).pathname.slice(1)}" to "${role}"`,
    );
  });

  after(async () => {
    await admin?.query(`drop schema if exists "${schema}" cascade`).catch(() => {});
    await admin?.query(`drop owned by "${role}"`).catch(() => {});
    await admin?.query(`drop role if exists "${role}"`).catch(() => {});
    await admin?.end().catch(() => {});
  });

  it("reads timestamps back exactly: the agent's sessions ask for DateStyle ISO", async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.username = role;
    url.password = "";
    const database = await openDatabase({ databaseUrl: url.toString(), schema, pool: { max: 2 } });
    const store = createStore(database, new ManualClock(new Date("2026-12-06T12:00:00Z")));
    try {
      const starts = ["0026-03-05T10:00:00.000Z", "2026-12-06T08:00:00.000Z"];
      const stored = await store.workouts.insertMany(
        starts.map((start, index) => halfHourRun(start, index + 100)),
      );
      expect(stored.map((w) => w.startTime.toISOString())).to.deep.equal(starts);
    } finally {
      await store.close();
    }
  });
});
