/**
 * The sport of a workout whose file left it open (issue 21), through the routes over a real store (PGlite):
 * inferred at upload and said in `verdict.sport`; declared at upload (`sport` field) or later with
 * `PATCH /api/workouts/:id { sport }`, accepted or refused by the same plausibility limits as any verdict,
 * owner only, audit-logged; progress (through the view cache) and attestations follow.
 */
import { expect } from "chai";
import request from "supertest";
import type { Hex } from "viem";
import { evidenceHash } from "../../src/attestation/milestoneAttestation.ts";
import { encodeFit, oneHourRunFit, type TrackPoint, track, utf8 } from "../workouts/fixtures.ts";
import {
  cookieFor,
  MONDAY,
  newAccount,
  openRoutesHarness,
  putRules,
  type RoutesHarness,
  seedCommitment,
} from "./routesHarness.ts";
import { PROBLEM_JSON, typeOf } from "./testApp.ts";

const HOUR_MS = 3_600_000;
const MONDAY_MS = MONDAY * 1000;
/** Thursday of the first week: window 0 (Monday to Monday, rules: 3 workouts of 30 min, run/ride/strength). */
const THURSDAY = Date.UTC(2026, 10, 26, 12);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A GPX track without <type>, as Garmin Connect and many apps export it. */
function untypedGpx(points: TrackPoint[]): Uint8Array {
  const trkpts = points
    .map((p) => {
      const hr =
        p.heartRate !== undefined
          ? `<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>${p.heartRate}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>`
          : "";
      return `<trkpt lat="${(p.lat ?? 0).toFixed(7)}" lon="${(p.lon ?? 0).toFixed(7)}"><time>${iso(p.time ?? 0)}</time>${hr}</trkpt>`;
    })
    .join("\n");
  return utf8(`<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
<trk><name>Afternoon</name><trkseg>${trkpts}</trkseg></trk>
</gpx>
`);
}

/** 40 min of running pace with a working heart rate: inferred `run`. */
const runGpx = (start: number) =>
  untypedGpx(
    track({
      start,
      seconds: 2400,
      speedMps: 3.2,
      heartRate: (s) => 145 + (s % 10),
    }),
  );
/** 40 min at walking pace, no cadence, no heart rate: left `other` (unknown). */
const strollGpx = (start: number, lat0 = 47.2) =>
  untypedGpx(track({ start, seconds: 2400, speedMps: 1.1, lat0 }));
/** 40 min at 21.6 km/h without cadence or power: a fast run or a slow ride, left `other`. */
const brisk = (start: number) => untypedGpx(track({ start, seconds: 2400, speedMps: 6, lat0: 47.4 }));
/** A FIT with no session (an unfinalised head unit): power, pedal cadence, 32 km/h → inferred `ride`. */
const sessionlessRide = (start: number) =>
  encodeFit({
    timeCreated: start,
    sessions: [],
    records: track({
      start,
      seconds: 2400,
      speedMps: 9,
      withDistance: true,
      lat0: 47.6,
    }).map((p) => ({
      ...p,
      power: 210,
      cadence: 88,
    })),
  });

describe("a workout's sport: inferred, or declared by its owner", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;
  let cookie: string;
  let otherCookie: string;
  let rulesHash: Hex;

  before(async () => {
    harness = await openRoutesHarness({ viewCacheMs: 60_000 });
    const account = newAccount();
    cookie = await cookieFor(harness, account);
    otherCookie = await cookieFor(harness, newAccount());
    rulesHash = await putRules(harness.store);
    await seedCommitment(harness.store, {
      owner: account.address,
      commitmentId: 1n,
      rulesHash,
    });
    harness.clock.set(THURSDAY);
  });
  after(async () => {
    await harness?.close();
  });

  const upload = (bytes: Uint8Array, fields: Record<string, string> = {}, as = cookie) => {
    let req = request(harness.app).post("/api/workouts/upload").set("Cookie", as);
    for (const [name, value] of Object.entries(fields)) req = req.field(name, value);
    return req.attach("file", Buffer.from(bytes), "workout.gpx");
  };
  const declare = (id: string, body: unknown, as = cookie) =>
    request(harness.app)
      .patch(`/api/workouts/${id}`)
      .set("Cookie", as)
      .send(body as object);
  const progress = async () => {
    const res = await request(harness.app).get("/api/commitments/1").set("Cookie", cookie);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.milestones[0].progress as {
      done: number;
      workouts: string[];
    };
  };
  function expectProblem(res: request.Response, status: number, code: string, field: string) {
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body.code).to.equal(code);
    expect(res.body.type).to.equal(typeOf(code));
    expect(res.body.field).to.equal(field);
  }

  let runId: string;
  let runHash: Hex;
  let briskId: string;
  let briskHash: Hex;
  let rideHash: Hex;
  let namedId: string;

  it("infers a run from a GPX without <type>, says from what, and counts it", async () => {
    const res = await upload(runGpx(MONDAY_MS + 1 * HOUR_MS));
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const [workout] = res.body.workouts;
    runId = workout.id;
    runHash = workout.contentHash;
    expect(workout.sport).to.equal("run");
    expect(workout.verdict.status).to.equal("accepted");
    expect(workout.verdict.countsFor).to.deep.equal([{ commitmentId: "1", milestoneIndex: 0 }]);
    expect(workout.verdict.sport).to.deep.include({
      origin: "inferred",
      declarable: true,
    });
    expect(workout.verdict.sport.message).to.match(/^sport inferred: run — median pace \d:\d\d \/km, GPS/);
    expect(workout.verdict.sport.inferred).to.include({
      sport: "run",
      candidate: "run",
      confidence: 0.75,
    });
  });

  it("infers a ride from a FIT without a session", async () => {
    const res = await upload(sessionlessRide(MONDAY_MS + 3 * HOUR_MS));
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const [workout] = res.body.workouts;
    rideHash = workout.contentHash;
    expect(workout.sport).to.equal("ride");
    expect(workout.verdict.sport.origin).to.equal("inferred");
    expect(workout.verdict.countsFor).to.deep.equal([{ commitmentId: "1", milestoneIndex: 0 }]);
  });

  it("leaves a workout the data cannot place `other`, says why, and lets the owner declare it", async () => {
    const res = await upload(brisk(MONDAY_MS + 5 * HOUR_MS));
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const [workout] = res.body.workouts;
    briskId = workout.id;
    briskHash = workout.contentHash;
    expect(workout.sport).to.equal("other");
    expect(workout.verdict.sport).to.deep.include({
      origin: "unknown",
      declarable: true,
    });
    expect(workout.verdict.sport.message).to.match(/^sport not inferred \(confidence 0\.45, needs 0\.60\)/);
    expect(workout.verdict.countsFor).to.deep.equal([]);
    expect(workout.verdict.notCounted[0].reasons.map((r: { code: string }) => r.code)).to.deep.equal([
      "activity_not_allowed",
    ]);
  });

  it("refuses a declared sport the data is not plausible for (a 21.6 km/h walk), changing nothing", async () => {
    const res = await declare(briskId, { sport: "walk" });
    expectProblem(res, 422, "implausible_speed", "sport");
    expect(res.body.detail).to.match(/^sport: the data is not plausible for walk\. Not plausible for walk: /);
    const stored = await harness.store.workouts.getById(briskId);
    expect(stored).to.include({ sport: "other", sportOrigin: "unknown" });
  });

  it("accepts a plausible declaration: the sport, the audit log, progress (through the view cache) follow", async () => {
    expect((await progress()).done).to.equal(2);
    const res = await declare(briskId, { sport: "ride" });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.workout.sport).to.equal("ride");
    expect(res.body.workout.verdict.sport).to.deep.include({
      origin: "declared",
      declarable: true,
    });
    expect(res.body.workout.verdict.countsFor).to.deep.equal([{ commitmentId: "1", milestoneIndex: 0 }]);
    expect(await progress()).to.deep.include({ done: 3 });

    const audit = await harness.store.auditLog.list({
      subject: `workout:${briskId}`,
    });
    const declared = audit.filter((e) => e.action === "workout.sport_declared");
    expect(declared).to.have.length(1);
    expect(declared[0]?.details).to.include({
      from: "other",
      fromOrigin: "unknown",
      to: "ride",
    });

    // Declaring the same sport again changes nothing and logs nothing.
    const again = await declare(briskId, { sport: "ride" });
    expect(again.status).to.equal(200);
    const after = await harness.store.auditLog.list({
      subject: `workout:${briskId}`,
    });
    expect(after.filter((e) => e.action === "workout.sport_declared")).to.have.length(1);
  });

  it("signs an attestation over workouts whose sport was inferred or declared", async () => {
    const res = await request(harness.app)
      .post("/api/commitments/1/milestones/0/attestation")
      .set("Cookie", cookie);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.evidenceHash).to.equal(evidenceHash([runHash, rideHash, briskHash]));
  });

  it("lets the owner correct an inferred sport, within plausibility", async () => {
    const res = await declare(runId, { sport: "walk" });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.workout.sport).to.equal("walk");
    expect(res.body.workout.verdict.sport.inferred.sport).to.equal("run");
    expect((await progress()).workouts).to.not.include(runId);
    const back = await declare(runId, { sport: "run" });
    expect(back.body.workout.sport).to.equal("run");
  });

  it("never overrides a sport the file named: 409 sport_named_by_file", async () => {
    const res = await upload(oneHourRunFit(MONDAY_MS + 7 * HOUR_MS));
    expect(res.status).to.equal(201);
    namedId = res.body.workouts[0].id;
    expect(res.body.workouts[0].verdict.sport).to.deep.equal({
      origin: "named",
      declarable: false,
    });
    const refused = await declare(namedId, { sport: "ride" });
    expectProblem(refused, 409, "sport_named_by_file", "sport");
    expect((await harness.store.workouts.getById(namedId))?.sport).to.equal("run");
  });

  it("answers 404 for another person's workout and for unknown ids, saying nothing about them", async () => {
    expectProblem(
      await declare(briskId, { sport: "run" }, otherCookie),
      404,
      "workout_not_found",
      "params.id",
    );
    expectProblem(
      await declare("00000000-0000-4000-8000-000000000000", { sport: "run" }),
      404,
      "workout_not_found",
      "params.id",
    );
    expectProblem(await declare("not-a-uuid", { sport: "run" }), 404, "workout_not_found", "params.id");
    expect((await harness.store.workouts.getById(briskId))?.sport).to.equal("ride");
  });

  it("refuses bad bodies with 400 naming the field, never 500", async () => {
    expectProblem(await declare(briskId, { sport: "skiing" }), 400, "invalid_request", "sport");
    expectProblem(await declare(briskId, {}), 400, "invalid_request", "sport");
    expectProblem(await declare(briskId, { sport: "run", note: "x" }), 400, "invalid_request", "note");
    expectProblem(await declare(briskId, { sport: 3 }), 400, "invalid_request", "sport");
    const text = await request(harness.app)
      .patch(`/api/workouts/${briskId}`)
      .set("Cookie", cookie)
      .set("Content-Type", "text/plain")
      .send("run");
    expect(text.status).to.be.oneOf([400, 415]);
    expect(text.headers["content-type"]).to.equal(PROBLEM_JSON);
    const anonymous = await request(harness.app).patch(`/api/workouts/${briskId}`).send({ sport: "run" });
    expect(anonymous.status).to.equal(401);
  });

  describe("declared at upload (`sport` field)", () => {
    it("applies a plausible declared sport to a file that left it open", async () => {
      const res = await upload(strollGpx(MONDAY_MS + 9 * HOUR_MS), {
        sport: "strength",
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const [workout] = res.body.workouts;
      expect(workout.sport).to.equal("strength");
      expect(workout.verdict.sport).to.deep.include({
        origin: "declared",
        declarable: true,
      });
      expect(workout.verdict.sport.inferred.candidate).to.equal("walk");
    });

    it("refuses an implausible declared sport and stores nothing (422 implausible_speed, field sport)", async () => {
      const before = (await harness.store.workouts.listByOwner(await ownerOf(cookie))).items.length;
      const res = await upload(brisk(MONDAY_MS + 11 * HOUR_MS), {
        sport: "walk",
      });
      expectProblem(res, 422, "implausible_speed", "sport");
      const after = (await harness.store.workouts.listByOwner(await ownerOf(cookie))).items.length;
      expect(after).to.equal(before);
    });

    it("refuses a declared sport that contradicts the file's own (409), accepts one that agrees", async () => {
      const contradicting = await upload(oneHourRunFit(MONDAY_MS + 13 * HOUR_MS), { sport: "ride" });
      expectProblem(contradicting, 409, "sport_named_by_file", "sport");
      const agreeing = await upload(oneHourRunFit(MONDAY_MS + 13 * HOUR_MS), {
        sport: "run",
      });
      expect(agreeing.status, JSON.stringify(agreeing.body)).to.equal(201);
      expect(agreeing.body.workouts[0].verdict.sport.origin).to.equal("named");
    });

    it("refuses an unknown sport with 400 naming the field", async () => {
      const res = await upload(strollGpx(MONDAY_MS + 15 * HOUR_MS, 47.8), {
        sport: "kayak",
      });
      expectProblem(res, 400, "invalid_request", "sport");
    });
  });

  /** The address a session cookie belongs to (the store lists by owner). */
  async function ownerOf(sessionCookie: string): Promise<string> {
    const res = await request(harness.app).get("/api/workouts?limit=1").set("Cookie", sessionCookie);
    const id = res.body.workouts[0]?.id as string;
    const record = await harness.store.workouts.getById(id);
    return record?.owner ?? "";
  }
});
