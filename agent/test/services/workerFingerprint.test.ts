/**
 * Files parsed on the worker pool come with their track's replay fingerprint (`withFingerprints`), and the
 * ingestion uses it instead of computing it again on the event loop: the stored fingerprint is the worker's, and
 * equals what the ingestion computes itself for the same file parsed in process.
 */
import { expect } from "chai";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { ManualClock } from "../../src/clock.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics } from "../../src/metrics.ts";
import { ingestActivities } from "../../src/services/ingestActivities.ts";
import { openDatabase } from "../../src/store/database.ts";
import { createStore, type Store } from "../../src/store/store.ts";
import {
  type ParsedWorkout,
  parseWorkoutFile,
  withFingerprints,
} from "../../src/workouts/parseWorkoutFile.ts";
import { gpx, T0, track, utf8 } from "../workouts/fixtures.ts";

describe("track fingerprints from the parse worker", () => {
  const clock = new ManualClock(T0 + 30 * 86_400_000);
  let database: Awaited<ReturnType<typeof openDatabase>>;
  let store: Store;
  const context = () => ({
    store,
    clock,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createLogger({
      level: "silent",
      destination: pino.destination({ dest: "/dev/null", sync: true }),
    }),
    chain: undefined,
  });

  before(async () => {
    database = await openDatabase({ dataDir: "memory://" });
    store = createStore(database, clock);
  });
  after(async () => store.close());

  async function storedFingerprint(workoutId: string) {
    const result = (await database.db.execute(
      sql`select vertex_count, vertices, (select count(*)::int from track_segment_hashes h where h.workout_id = f.workout_id) as hashes
          from track_fingerprints f where workout_id = ${workoutId}::uuid`,
    )) as unknown as { rows: { vertex_count: number; vertices: string; hashes: number }[] };
    return result.rows[0];
  }

  it("stores the worker's fingerprint, the same as the one computed in process", async () => {
    // A winding 20-minute run: informative windows, so there are segment hashes to store.
    const points = track({ start: T0, seconds: 1_200, speedMps: 3 }).map((p, i) => ({
      ...p,
      lat: (p.lat ?? 0) + 0.0004 * Math.sin(i / 25),
    }));
    const bytes = utf8(gpx({ type: "running", segments: [points] }));
    const [inProcess] = parseWorkoutFile(bytes);
    const [fromWorker] = withFingerprints(parseWorkoutFile(bytes));
    if (inProcess === undefined || fromWorker === undefined) throw new Error("no activity");
    expect(fromWorker.fingerprint?.segmentHashes.length).to.be.greaterThan(10);

    const owner = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    const a = await ingestActivities(context(), { owner, source: "gpx", activities: [fromWorker] });
    const other = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
    const b = await ingestActivities(context(), {
      owner: other,
      source: "gpx",
      activities: [{ ...inProcess, contentHash: `0x${"ab".repeat(32)}` }],
    });
    const [workerRow, inProcessRow] = [
      await storedFingerprint(a.workouts[0]?.id ?? ""),
      await storedFingerprint(b.workouts[0]?.id ?? ""),
    ];
    expect(workerRow).to.not.equal(undefined);
    expect(workerRow).to.deep.equal(inProcessRow);
    // The second is the first one's track again: found through the stored hashes either way.
    expect(b.workouts[0]?.verdict.reasons.map((r) => r.code)).to.include("replayed_track");
  });

  it("uses what the worker sent, and computes nothing itself, when the worker found no fingerprint", async () => {
    const bytes = utf8(
      gpx({ type: "running", segments: [track({ start: T0 + 86_400_000, seconds: 1_200, speedMps: 3 })] }),
    );
    const [parsed] = parseWorkoutFile(bytes);
    if (parsed === undefined) throw new Error("no activity");
    const owner = "0x90f79bf6eb2c4f870365e785982e1f101e93b906";
    // As the worker hands back a track too short to judge: the key is there, its value undefined.
    const sent: ParsedWorkout = { ...parsed, fingerprint: undefined };
    const ingested = await ingestActivities(context(), { owner, source: "gpx", activities: [sent] });
    expect(await storedFingerprint(ingested.workouts[0]?.id ?? "")).to.equal(undefined);
  });
});
