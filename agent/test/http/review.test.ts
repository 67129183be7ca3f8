/**
 * Human review over a real store: the owner of a rejected workout asks for a review; an operator
 * (`REVIEW_OPERATORS`) lists and decides it; the decision changes the verdict, is audited, and the owner's
 * commitment progress follows at once (through the store's change feed, past a view cache that would otherwise
 * keep the old answer for ten minutes). Everyone else is refused; bad input is a 400 naming the field.
 */
import { expect } from "chai";
import request from "supertest";
import { reviewRouter } from "../../src/http/reviewRouter.ts";
import { yearZeroCursor } from "../support/pageCursors.ts";
import { encodeFit, track } from "../workouts/fixtures.ts";
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

const MONDAY_MS = MONDAY * 1000;
const HOUR_MS = 3_600_000;

/** A 45-min run drawn by a generator: straight, constant pace, no receiver noise → `synthetic_track`. */
function generatedRunFit(start: number): Uint8Array {
  const records = track({
    start,
    seconds: 2700,
    speedMps: 3,
    heartRate: (s) => 140 + (s % 20),
    gpsNoise: false,
  });
  return encodeFit({
    timeCreated: start,
    records,
    timerEvents: [
      [start, "start"],
      [start + 2_700_000, "stopAll"],
    ],
    sessions: [{ sport: "running", start, timerSec: 2700, elapsedSec: 2700 }],
  });
}

describe("human review of rejected workouts", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;
  const alice = newAccount();
  const bob = newAccount();
  const operator = newAccount();
  let aliceCookie: string;
  let bobCookie: string;
  let operatorCookie: string;
  let workoutId: string;
  let reviewId: string;

  before(async () => {
    harness = await openRoutesHarness({
      env: {
        REVIEW_OPERATORS: `${operator.address.toLowerCase()}, 0x000000000000000000000000000000000000dEaD`,
      },
      viewCacheMs: 600_000,
    });
    expect(harness.config.review.operators).to.deep.equal([
      operator.address.toLowerCase(),
      "0x000000000000000000000000000000000000dead",
    ]);
    harness.routes.use(
      reviewRouter({
        store: harness.store,
        clock: harness.clock,
        metrics: harness.metrics,
        logger: harness.logger,
        chain: {
          chainId: 31337,
          vault: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        },
        operators: new Set(harness.config.review.operators),
      }),
    );
    aliceCookie = await cookieFor(harness, alice);
    bobCookie = await cookieFor(harness, bob);
    operatorCookie = await cookieFor(harness, operator);
    const rulesHash = await putRules(harness.store);
    await seedCommitment(harness.store, {
      owner: alice.address,
      commitmentId: 1n,
      rulesHash,
    });
    harness.clock.set(Date.UTC(2026, 10, 25, 12));
    const upload = await request(harness.app)
      .post("/api/workouts/upload")
      .set("Cookie", aliceCookie)
      .attach("file", Buffer.from(generatedRunFit(MONDAY_MS + 7 * HOUR_MS)), "run.fit");
    expect(upload.status, JSON.stringify(upload.body)).to.equal(201);
    expect(upload.body.workouts[0].verdict.status).to.equal("rejected");
    expect(upload.body.workouts[0].verdict.reasons.map((r: { code: string }) => r.code)).to.deep.equal([
      "synthetic_track",
    ]);
    workoutId = upload.body.workouts[0].id;
  });
  after(async () => {
    await harness?.close();
  });

  const ask = (id: string, body: unknown, cookie = aliceCookie) =>
    request(harness.app)
      .post(`/api/workouts/${id}/review`)
      .set("Cookie", cookie)
      .send(body as object);
  const decide = (id: string, body: unknown, cookie = operatorCookie) =>
    request(harness.app)
      .post(`/api/review/${id}`)
      .set("Cookie", cookie)
      .send(body as object);
  const progress = async () =>
    (await request(harness.app).get("/api/commitments/1").set("Cookie", aliceCookie)).body.milestones[0]
      .progress;

  function expectProblem(res: request.Response, status: number, code: string, field?: string) {
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body.type).to.equal(typeOf(code));
    if (field !== undefined) expect(res.body.field).to.equal(field);
  }

  it("refuses a request without a note, with an empty or an over-long one, naming the field", async () => {
    expectProblem(await ask(workoutId, {}), 400, "invalid_request", "note");
    expectProblem(await ask(workoutId, { note: "   " }), 400, "invalid_request", "note");
    expectProblem(await ask(workoutId, { note: "x".repeat(2001) }), 400, "invalid_request", "note");
    expectProblem(await ask(workoutId, { note: "ok", extra: 1 }), 400, "invalid_request");
    expectProblem(await ask("not-a-uuid", { note: "ok" }), 400, "invalid_request", "params.id");
  });

  it("answers another person's workout as not found, without saying whose it is", async () => {
    const res = await ask(workoutId, { note: "mine!" }, bobCookie);
    expectProblem(res, 404, "workout_not_found");
    expect(JSON.stringify(res.body)).not.to.include(alice.address.slice(2).toLowerCase());
  });

  it("records the owner's request once and counts nothing yet", async () => {
    expect((await progress()).done).to.equal(0);
    const res = await ask(workoutId, {
      note: "Recorded on my watch on the canal path; happy to send the raw file.",
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.review).to.include({ workoutId, status: "pending" });
    expect(res.body.review.decision).to.equal(null);
    reviewId = res.body.review.id;
    expectProblem(await ask(workoutId, { note: "again" }), 409, "review_exists");
    const listed = await request(harness.app).get("/api/workouts").set("Cookie", aliceCookie);
    expect(listed.body.workouts[0].review).to.deep.equal({ status: "pending" });
  });

  it("shows pending reviews to operators only", async () => {
    expectProblem(
      await request(harness.app).get("/api/review").set("Cookie", aliceCookie),
      403,
      "not_operator",
    );
    const res = await request(harness.app).get("/api/review").set("Cookie", operatorCookie);
    expect(res.status).to.equal(200);
    expect(res.body.nextCursor).to.equal(null);
    expect(res.body.reviews).to.have.length(1);
    const [review] = res.body.reviews;
    expect(review).to.include({ id: reviewId, workoutId, status: "pending" });
    expect(review.owner.toLowerCase()).to.equal(alice.address.toLowerCase());
    expect(review.workout.verdict.reasons.map((r: { code: string }) => r.code)).to.deep.equal([
      "synthetic_track",
    ]);
    expectProblem(
      await request(harness.app).get("/api/review?status=maybe").set("Cookie", operatorCookie),
      400,
      "invalid_request",
      "query.status",
    );
    expectProblem(
      await request(harness.app).get("/api/review?cursor=bm9wZQ").set("Cookie", operatorCookie),
      400,
      "invalid_request",
      "query.cursor",
    );
    // A well-formed cursor of year 0 (PostgreSQL refuses it in the comparison: it was a 503 database_error).
    const yearZero = yearZeroCursor("requestedAt");
    expectProblem(
      await request(harness.app).get(`/api/review?cursor=${yearZero}`).set("Cookie", operatorCookie),
      400,
      "invalid_request",
      "query.cursor",
    );
  });

  it("refuses decisions by non-operators before reading them, and bad decisions naming the field", async () => {
    expectProblem(await decide(reviewId, { decision: "accept" }, aliceCookie), 403, "not_operator");
    expectProblem(await decide(reviewId, { nonsense: true }, bobCookie), 403, "not_operator");
    expectProblem(await decide(reviewId, { decision: "maybe" }), 400, "invalid_request", "decision");
    expectProblem(
      await decide(reviewId, { decision: "accept", note: "y".repeat(2001) }),
      400,
      "invalid_request",
      "note",
    );
    expectProblem(
      await decide("6f1c1a3e-0000-4000-8000-000000000000", {
        decision: "accept",
      }),
      404,
      "review_not_found",
    );
  });

  it("accepts on review: the verdict changes, the decision is audited, progress follows at once", async () => {
    const res = await decide(reviewId, {
      decision: "accept",
      note: "Raw file checked with the athlete.",
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.review).to.include({ id: reviewId, status: "accepted" });
    expect(res.body.review.decision.note).to.equal("Raw file checked with the athlete.");
    expect(res.body.workout.verdict.status).to.equal("accepted");
    expect(res.body.workout.verdict.countsFor).to.deep.equal([{ commitmentId: "1", milestoneIndex: 0 }]);
    expect(await progress()).to.deep.include({
      done: 1,
      workouts: [workoutId],
    });

    const listed = await request(harness.app).get("/api/workouts").set("Cookie", aliceCookie);
    expect(listed.body.workouts[0].verdict.status).to.equal("accepted");
    expect(listed.body.workouts[0].review).to.deep.equal({ status: "accepted" });
    const audit = await harness.store.auditLog.list({
      subject: `workout:${workoutId}`,
    });
    const decided = audit.find((entry) => entry.action === "workout.review_decided");
    expect(decided?.actor.toLowerCase()).to.equal(operator.address.toLowerCase());
    expect(decided?.details).to.deep.include({
      decision: "accept",
      from: { status: "rejected", reasons: ["synthetic_track"] },
    });
    expect(audit.map((entry) => entry.action)).to.include("workout.review_requested");

    expectProblem(await decide(reviewId, { decision: "reject" }), 409, "review_decided");
    const pending = await request(harness.app).get("/api/review").set("Cookie", operatorCookie);
    expect(pending.body.reviews).to.deep.equal([]);
  });

  it("refuses a review of an accepted workout", async () => {
    expectProblem(await ask(workoutId, { note: "please" }), 409, "workout_not_rejected");
  });
});
