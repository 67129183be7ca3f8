/**
 * The worker pool that parses uploads (workouts/workoutParsePool.ts): the same results as parsing in process
 * (every real device file, generated files, typed errors), a bounded backlog refused with ServiceBusyError, and
 * over HTTP: uploads parsed on the pool, and a full pool answered 503 with `Retry-After` as problem+json.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import request from "supertest";
import { AgentError, TooLargeError, UnsupportedError, ValidationError } from "../../src/errors.ts";
import { WORKER_NICENESS } from "../../src/workouts/parseWorker.ts";
import {
  DEFAULT_WORKOUT_FILE_LIMITS,
  type ParsedWorkout,
  parseWorkoutFile,
  withFingerprints,
} from "../../src/workouts/parseWorkoutFile.ts";
import {
  createWorkoutParsePool,
  ServiceBusyError,
  type WorkoutParsePool,
} from "../../src/workouts/workoutParsePool.ts";
import {
  cookieFor,
  MONDAY,
  newAccount,
  openRoutesHarness,
  type RoutesHarness,
} from "../http/routesHarness.ts";
import { PROBLEM_JSON, typeOf } from "../http/testApp.ts";
import { gpx, oneHourRunFit, T0, tcx, track, utf8 } from "./fixtures.ts";

const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/workouts/", import.meta.url));

type Outcome =
  | { workouts: ParsedWorkout[] }
  | {
      error: { name: string; code: string; message: string; details: unknown };
    };

async function outcomeOf(run: () => ParsedWorkout[] | Promise<ParsedWorkout[]>): Promise<Outcome> {
  try {
    return { workouts: await run() };
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    return {
      error: {
        name: error.name,
        code: error.code,
        message: error.message,
        details: error.details,
      },
    };
  }
}

describe("workoutParsePool", function () {
  this.timeout(60_000);
  let pool: WorkoutParsePool;

  before(() => {
    pool = createWorkoutParsePool({ threads: 2, queueMax: 64 });
  });
  after(async () => {
    await pool.close();
  });

  it("gives exactly the in-process result for every real device file and the generated ones", async () => {
    const files: [string, Uint8Array][] = readdirSync(FIXTURES)
      .filter((name) => /\.(fit|gpx|tcx)$/.test(name))
      .map((name) => [name, new Uint8Array(readFileSync(FIXTURES + name))]);
    expect(files.length).to.be.greaterThan(30);
    const hour = track({ start: T0, seconds: 3599, speedMps: 3 });
    files.push(
      ["generated.fit", oneHourRunFit()],
      ["generated.gpx", utf8(gpx({ type: "running", segments: [hour] }))],
      [
        "generated.tcx",
        utf8(
          tcx([
            {
              sport: "Running",
              laps: [{ start: T0, totalTimeSec: 3599, points: hour }],
            },
          ]),
        ),
      ],
      ["not-a-workout.txt", utf8("hello")],
      ["doctype.gpx", utf8('<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "b">]><gpx></gpx>')],
    );
    let errors = 0;
    // All at once: the pool's threads and backlog serve them concurrently.
    const pooled = await Promise.all(
      files.map(([, bytes]) => outcomeOf(() => pool.parse(bytes.slice(), DEFAULT_WORKOUT_FILE_LIMITS))),
    );
    for (const [i, [name, bytes]] of files.entries()) {
      const inProcess = await outcomeOf(() =>
        withFingerprints(parseWorkoutFile(bytes, DEFAULT_WORKOUT_FILE_LIMITS)),
      );
      if ("error" in inProcess) errors += 1;
      expect(pooled[i], name).to.deep.equal(inProcess);
    }
    expect(errors).to.be.greaterThan(2);
  });

  it("moves an owned buffer to the worker whole, with the view's offset and length, and parses the same", async () => {
    const file = oneHourRunFit();
    // An upload's buffer: larger than the file, the file not at offset 0 (as a view a storage engine hands over).
    const owned = new Uint8Array(new ArrayBuffer(file.length + 1_000));
    owned.fill(0xee);
    owned.set(file, 200);
    const view = owned.subarray(200, 200 + file.length);
    const pooled = await pool.parse(view, DEFAULT_WORKOUT_FILE_LIMITS, { ownsBuffer: true });
    expect(pooled).to.deep.equal(withFingerprints(parseWorkoutFile(file, DEFAULT_WORKOUT_FILE_LIMITS)));
    // Moved, not copied: the caller's buffer is detached.
    expect(owned.buffer.byteLength).to.equal(0);

    // Without ownership a view into a larger buffer is copied and stays readable.
    const shared = new Uint8Array(new ArrayBuffer(file.length + 1_000));
    shared.set(file, 100);
    const sharedView = shared.subarray(100, 100 + file.length);
    const copied = await pool.parse(sharedView, DEFAULT_WORKOUT_FILE_LIMITS);
    expect(copied).to.deep.equal(pooled);
    expect(shared.buffer.byteLength).to.equal(file.length + 1_000);
    expect(Buffer.from(sharedView).equals(Buffer.from(file))).to.equal(true);
  });

  it("parses at the lowest priority on Linux while the event loop keeps its own", async function () {
    if (process.platform !== "linux") this.skip();
    // The threads have parsed files by now (the test above); /proc lists each thread's nice value (field 19).
    await pool.parse(oneHourRunFit(), DEFAULT_WORKOUT_FILE_LIMITS);
    const niceOf = (tid: string) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    };
    const tids = readdirSync("/proc/self/task");
    const mainNice = niceOf(String(process.pid));
    expect(mainNice).to.be.below(WORKER_NICENESS);
    expect(tids.filter((tid) => niceOf(tid) === WORKER_NICENESS).length).to.be.at.least(1);
  });

  it("rebuilds the typed error classes the parser throws", async () => {
    const tooLarge = await pool
      .parse(utf8("<gpx></gpx>"), {
        ...DEFAULT_WORKOUT_FILE_LIMITS,
        maxBytes: 4,
      })
      .catch((e: unknown) => e);
    expect(tooLarge).to.be.instanceOf(TooLargeError);
    expect((tooLarge as TooLargeError).code).to.equal("file_too_large");
    expect((tooLarge as TooLargeError).details).to.deep.equal({
      limit: 4,
      size: 11,
    });
    const unsupported = await pool.parse(utf8("hello"), DEFAULT_WORKOUT_FILE_LIMITS).catch((e: unknown) => e);
    expect(unsupported).to.be.instanceOf(UnsupportedError);
    expect((unsupported as UnsupportedError).code).to.equal("unsupported_format");
    const noPoints = await pool
      .parse(utf8('<?xml version="1.0"?><gpx><trk></trk></gpx>'), DEFAULT_WORKOUT_FILE_LIMITS)
      .catch((e: unknown) => e);
    expect(noPoints).to.be.instanceOf(ValidationError);
    expect((noPoints as ValidationError).code).to.equal("not_a_workout");
  });

  it("refuses work beyond its threads and backlog with ServiceBusyError, and takes work again once they drain", async () => {
    const small = createWorkoutParsePool({
      threads: 1,
      queueMax: 1,
      retryAfterSeconds: 3,
    });
    try {
      const bytes = oneHourRunFit();
      const first = small.parse(bytes.slice(), DEFAULT_WORKOUT_FILE_LIMITS);
      const second = small.parse(bytes.slice(), DEFAULT_WORKOUT_FILE_LIMITS);
      expect(small.inFlight).to.equal(2);
      const third = await small.parse(bytes.slice(), DEFAULT_WORKOUT_FILE_LIMITS).catch((e: unknown) => e);
      expect(third).to.be.instanceOf(ServiceBusyError);
      expect((third as ServiceBusyError).code).to.equal("server_busy");
      expect((third as ServiceBusyError).details).to.deep.include({
        retryAfterSeconds: 3,
        capacity: 2,
      });
      const [a, b] = await Promise.all([first, second]);
      expect(a).to.deep.equal(withFingerprints(parseWorkoutFile(bytes)));
      expect(b).to.deep.equal(a);
      expect(small.inFlight).to.equal(0);
      expect(await small.parse(bytes.slice(), DEFAULT_WORKOUT_FILE_LIMITS)).to.deep.equal(a);
    } finally {
      await small.close();
    }
  });

  describe("POST /api/workouts/upload on the pool", () => {
    let harness: RoutesHarness;
    let cookie: string;
    let busyPool: WorkoutParsePool;

    before(async () => {
      busyPool = createWorkoutParsePool({
        threads: 1,
        queueMax: 0,
        retryAfterSeconds: 5,
      });
      harness = await openRoutesHarness({ parsePool: busyPool });
      cookie = await cookieFor(harness, newAccount());
    });
    after(async () => {
      await harness?.close();
      await busyPool?.close();
    });

    const upload = (bytes: Uint8Array) =>
      request(harness.app)
        .post("/api/workouts/upload")
        .set("Cookie", cookie)
        .attach("file", Buffer.from(bytes), "run.fit");

    it("stores a file parsed on a worker thread, with the in-process content hash", async () => {
      const bytes = oneHourRunFit(MONDAY * 1000 + 3_600_000);
      const res = await upload(bytes);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.workouts[0].contentHash).to.equal(parseWorkoutFile(bytes)[0]?.contentHash);
      expect(res.body.workouts[0].verdict.status).to.equal("accepted");
    });

    it("answers 503 server_busy with Retry-After while the pool is full, naming the file", async () => {
      // The pool's one slot is taken by a 30-hour GPX (~22 MB, most of a second on the worker) while the next
      // upload arrives.
      const long = track({ start: T0, seconds: 30 * 3600, speedMps: 3 });
      const big = utf8(gpx({ type: "running", segments: [long] }));
      const hold = busyPool.parse(big, { ...DEFAULT_WORKOUT_FILE_LIMITS, maxBytes: 64 * 1024 * 1024 });
      expect(busyPool.inFlight).to.equal(1);
      const res = await upload(oneHourRunFit(MONDAY * 1000 + 7_200_000));
      await hold;
      expect(res.status).to.equal(503);
      expect(res.headers["retry-after"]).to.equal("5");
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body.type).to.equal(typeOf("server_busy"));
      expect(res.body.code).to.equal("server_busy");
      expect(res.body.field).to.equal("file");
      const again = await upload(oneHourRunFit(MONDAY * 1000 + 7_200_000));
      expect(again.status, JSON.stringify(again.body)).to.equal(201);
    });
  });
});
