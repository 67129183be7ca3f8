/**
 * `POST /api/workouts/upload` over a real store (PGlite): exact Workout bodies for FIT, GPX and TCX, and every
 * way an upload can be wrong (no session, missing, extra or misnamed parts, wrong media type, oversized bodies
 * declared or streamed, unknown formats, hostile files) answered with the right problem and nothing stored.
 */
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { sql } from "drizzle-orm";
import request from "supertest";
import { keccak256 } from "viem";
import { queryRows } from "../store/storeDrivers.ts";
import {
  gpx,
  multiSessionFit,
  oneHourRunFit,
  pausedRideFit,
  prng,
  strengthFit,
  tcx,
  track,
  utf8,
} from "../workouts/fixtures.ts";
import {
  cookieFor,
  MONDAY,
  newAccount,
  openRoutesHarness,
  putRules,
  type RoutesHarness,
  seedCommitment,
} from "./routesHarness.ts";
import { JSON_TYPE, PROBLEM_JSON, typeOf } from "./testApp.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HOUR_MS = 3_600_000;
const MONDAY_MS = MONDAY * 1000;

async function workoutCount(harness: RoutesHarness): Promise<number> {
  const [row] = await queryRows<{ count: string | number }>(
    harness.opened.database,
    sql`select count(*) as count from workouts`,
  );
  return Number(row?.count);
}

describe("POST /api/workouts/upload", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;
  let cookie: string;
  let owner: `0x${string}`;

  before(async () => {
    harness = await openRoutesHarness();
    const account = newAccount();
    owner = account.address;
    cookie = await cookieFor(harness, account);
    const rulesHash = await putRules(harness.store);
    await seedCommitment(harness.store, { owner, commitmentId: 1n, rulesHash });
  });
  after(async () => {
    await harness?.close();
  });

  const upload = (bytes: Uint8Array | string, name = "workout.fit") =>
    request(harness.app)
      .post("/api/workouts/upload")
      .set("Cookie", cookie)
      .attach("file", Buffer.from(typeof bytes === "string" ? utf8(bytes) : bytes), name);

  /** Asserts a problem answer and that no workout was stored by it. */
  async function expectProblem(
    send: () => Promise<request.Response>,
    status: number,
    code: string,
    field: string | undefined,
  ): Promise<request.Response> {
    const before = await workoutCount(harness);
    const res = await send();
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body.type).to.equal(typeOf(code));
    expect(res.body.code).to.equal(code);
    expect(res.body.field).to.equal(field);
    expect(res.body.instance).to.equal("/api/workouts/upload");
    expect(await workoutCount(harness)).to.equal(before);
    return res;
  }

  it("stores a FIT run and answers 201 with PRODUCT.md's Workout, counting it for the open milestone", async () => {
    const bytes = oneHourRunFit(MONDAY_MS + HOUR_MS);
    const res = await upload(bytes, "morning.fit");
    expect(res.status).to.equal(201);
    expect(res.headers["content-type"]).to.equal(JSON_TYPE);
    const id = res.body.workouts[0]?.id as string;
    expect(id).to.match(UUID);
    expect(res.body).to.deep.equal({
      workouts: [
        {
          id,
          source: "fit",
          contentHash: keccak256(bytes),
          sport: "run",
          startTime: "2026-11-23T01:00:00Z",
          durationSec: 3600,
          elapsedSec: 3600,
          distanceM: 10800,
          avgHeartRate: 150,
          verdict: {
            status: "accepted",
            reasons: [],
            countsFor: [{ commitmentId: "1", milestoneIndex: 0 }],
            notCounted: [],
            sport: { origin: "named", declarable: false },
          },
        },
      ],
    });
    const stored = await harness.store.workouts.getById(id);
    expect(stored?.owner).to.equal(owner);
    expect(stored?.verdict).to.deep.equal({ status: "accepted", reasons: [] });
  });

  it("answers a re-upload as a rejected duplicate carrying the stored workout's id", async () => {
    const bytes = oneHourRunFit(MONDAY_MS + HOUR_MS);
    const before = await workoutCount(harness);
    const res = await upload(bytes);
    expect(res.status).to.equal(201);
    const [workout] = res.body.workouts;
    const stored = await harness.store.workouts.findByContentHashes(owner, [keccak256(bytes)]);
    expect(workout.id).to.equal(stored[0]?.id);
    expect(workout.verdict).to.deep.equal({
      status: "rejected",
      reasons: [
        { code: "duplicate", message: `This exact workout was already uploaded (workout ${workout.id}).` },
      ],
      countsFor: [],
      notCounted: [],
      sport: { origin: "named", declarable: false },
    });
    expect(await workoutCount(harness)).to.equal(before);
  });

  it("explains why an accepted workout does not count (a walk is not in the rules)", async () => {
    const walk = gpx({
      type: "walking",
      segments: [track({ start: MONDAY_MS + 3 * HOUR_MS, seconds: 2400, speedMps: 1.4, heartRate: 100 })],
    });
    const res = await upload(walk, "walk.gpx");
    expect(res.status).to.equal(201);
    const [workout] = res.body.workouts;
    expect(workout).to.include({ source: "gpx", sport: "walk", startTime: "2026-11-23T03:00:00Z" });
    expect(workout.verdict.status).to.equal("accepted");
    expect(workout.verdict.countsFor).to.deep.equal([]);
    expect(workout.verdict.notCounted).to.deep.equal([
      {
        commitmentId: "1",
        milestoneIndex: 0,
        reasons: [
          {
            code: "activity_not_allowed",
            message: "A walk does not count: the rules allow run, ride, strength.",
          },
        ],
      },
    ]);
  });

  it("stores every activity of a multi-activity TCX and rejects a future one with its reason", async () => {
    const lap = (start: number, seconds: number) => ({
      start,
      totalTimeSec: seconds,
      points: track({ start, seconds, speedMps: 8, heartRate: 140, withDistance: true }),
    });
    const text = tcx([
      { sport: "Biking", laps: [lap(MONDAY_MS + 4 * HOUR_MS, 2400)] },
      { sport: "Biking", laps: [lap(MONDAY_MS + 30 * HOUR_MS, 2400)] },
    ]);
    const res = await upload(text, "rides.tcx");
    expect(res.status).to.equal(201);
    expect(res.body.workouts).to.have.length(2);
    const [past, future] = res.body.workouts;
    expect(past).to.include({
      source: "tcx",
      sport: "ride",
      startTime: "2026-11-23T04:00:00Z",
      durationSec: 2400,
    });
    expect(past.verdict.status).to.equal("accepted");
    expect(past.verdict.countsFor).to.deep.equal([{ commitmentId: "1", milestoneIndex: 0 }]);
    expect(future.verdict.status).to.equal("rejected");
    expect(future.verdict.reasons.map((r: { code: string }) => r.code)).to.deep.equal(["future_timestamp"]);
    expect(future.verdict.countsFor).to.deep.equal([]);
    expect(past.contentHash).to.not.equal(future.contentHash);
    expect(await harness.store.workouts.getById(future.id)).to.not.equal(null);
  });

  it("drops a multisport FIT's transition and rejects the leg overlapping an accepted workout", async () => {
    const res = await upload(multiSessionFit(MONDAY_MS + 5 * HOUR_MS - 10 * 60_000));
    expect(res.status).to.equal(201);
    expect(res.body.workouts.map((w: { sport: string }) => w.sport)).to.deep.equal(["run", "ride"]);
    expect(res.body.workouts.map((w: { verdict: { status: string } }) => w.verdict.status)).to.deep.equal([
      "accepted",
      "accepted",
    ]);
    const overlapping = await upload(pausedRideFit(MONDAY_MS + 5 * HOUR_MS));
    expect(overlapping.body.workouts[0].verdict.reasons.map((r: { code: string }) => r.code)).to.deep.equal([
      "overlaps_existing",
    ]);
  });

  it("needs a session: 401 without touching the body", async () => {
    await expectProblem(
      () =>
        request(harness.app)
          .post("/api/workouts/upload")
          .attach("file", Buffer.from("x".repeat(100)), "s.fit"),
      401,
      "unauthenticated",
      undefined,
    );
  });

  it("names the missing file field", async () => {
    await expectProblem(
      () => request(harness.app).post("/api/workouts/upload").set("Cookie", cookie),
      400,
      "invalid_request",
      "file",
    );
    await expectProblem(
      () =>
        request(harness.app)
          .post("/api/workouts/upload")
          .set("Cookie", cookie)
          .set("Content-Type", "multipart/form-data; boundary=xyz")
          .send("--xyz--\r\n"),
      400,
      "invalid_request",
      "file",
    );
  });

  it("names a file under another field, a second file, a text field and a text field called file", async () => {
    const bytes = Buffer.from(strengthFit(MONDAY_MS + 6 * HOUR_MS));
    await expectProblem(
      () =>
        request(harness.app)
          .post("/api/workouts/upload")
          .set("Cookie", cookie)
          .attach("upload", bytes, "a.fit"),
      400,
      "invalid_request",
      "upload",
    );
    await expectProblem(
      () =>
        request(harness.app)
          .post("/api/workouts/upload")
          .set("Cookie", cookie)
          .attach("file", bytes, "a.fit")
          .attach("file", bytes, "b.fit"),
      400,
      "invalid_request",
      "file",
    );
    await expectProblem(
      () =>
        request(harness.app)
          .post("/api/workouts/upload")
          .set("Cookie", cookie)
          .field("comment", "hi")
          .attach("file", bytes, "a.fit"),
      400,
      "invalid_request",
      "comment",
    );
    const res = await expectProblem(
      () =>
        request(harness.app).post("/api/workouts/upload").set("Cookie", cookie).field("file", "not a file"),
      400,
      "invalid_request",
      "file",
    );
    expect(res.body.detail).to.equal("file: must be a file, not a text field");
  });

  it("answers a JSON body with 415 naming the content type, a broken multipart body with 400", async () => {
    await expectProblem(
      () => request(harness.app).post("/api/workouts/upload").set("Cookie", cookie).send({ file: "x" }),
      415,
      "unsupported_media_type",
      "content-type",
    );
    await expectProblem(
      () =>
        request(harness.app)
          .post("/api/workouts/upload")
          .set("Cookie", cookie)
          .set("Content-Type", "multipart/form-data; boundary=xyz")
          .send('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.fit"\r\n\r\nabc'),
      400,
      "invalid_upload",
      "(body)",
    );
    await expectProblem(
      () =>
        request(harness.app)
          .post("/api/workouts/upload")
          .set("Cookie", cookie)
          .set("Content-Type", "multipart/form-data")
          .send("--xyz--\r\n"),
      400,
      "invalid_upload",
      "(body)",
    );
  });

  it("detects the format from the content: 415 unsupported_format whatever the file is called", async () => {
    const res = await expectProblem(
      () => upload(Buffer.from("\x89PNG\r\n\x1a\n0000000000000000"), "photo.fit"),
      415,
      "unsupported_format",
      "file",
    );
    expect(res.body.title).to.equal("Unsupported Media Type");
    await expectProblem(() => upload(Buffer.alloc(0), "empty.gpx"), 415, "unsupported_format", "file");
  });

  it("answers a file that yields no workout with 422 and the parser's code", async () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<gpx version="1.1"><trk><trkseg><trkpt lat="0" lon="0"><time>&lol2;</time></trkpt></trkseg></trk></gpx>`;
    await expectProblem(() => upload(bomb, "bomb.gpx"), 422, "corrupt_file", "file");
    await expectProblem(() => upload(oneHourRunFit().slice(0, 14)), 422, "corrupt_file", "file");
    await expectProblem(() => upload(gpx({ segments: [] }), "empty.gpx"), 422, "not_a_workout", "file");
    const untimed = gpx({
      segments: [track({ start: MONDAY_MS, seconds: 60, speedMps: 3 }).map(({ time: _t, ...p }) => p)],
    });
    await expectProblem(() => upload(untimed, "route.gpx"), 422, "no_timestamps", "file");
  });

  it("refuses a GPX of 1,000,000 points with 413 too_many_points", async () => {
    const points = '<trkpt lat="0" lon="0"/>\n'.repeat(1_000_000);
    const text = `<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>${points}</trkseg></trk></gpx>`;
    const res = await expectProblem(() => upload(text, "million.gpx"), 413, "too_many_points", "file");
    expect(res.body.limit).to.equal(200_000);
  });

  it("never answers 5xx to truncated or bit-flipped files", async () => {
    const random = prng(42);
    const original = strengthFit(MONDAY_MS + 12 * HOUR_MS);
    for (let i = 0; i < 12; i += 1) {
      const mangled = original.slice(0, Math.floor(random() * original.length));
      for (let k = 0; k < 4; k += 1)
        mangled[Math.floor(random() * mangled.length)] = Math.floor(random() * 256);
      const res = await upload(mangled);
      expect(res.status, JSON.stringify(res.body)).to.be.oneOf([201, 400, 413, 415, 422]);
    }
  });
});

describe("POST /api/workouts/upload size limits", function () {
  this.timeout(60_000);
  const LIMIT = 20_000;
  let harness: RoutesHarness;
  let cookie: string;

  before(async () => {
    harness = await openRoutesHarness({ env: { UPLOAD_LIMIT_BYTES: String(LIMIT) } });
    cookie = await cookieFor(harness, newAccount());
  });
  after(async () => {
    await harness?.close();
  });

  it("refuses a file part over the limit with 413 too_large naming the file", async () => {
    const res = await request(harness.app)
      .post("/api/workouts/upload")
      .set("Cookie", cookie)
      .attach("file", Buffer.alloc(LIMIT + 1, 0x41), "big.gpx");
    expect(res.status).to.equal(413);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body).to.include({ code: "too_large", field: "file", limit: LIMIT });
    expect(await workoutCount(harness)).to.equal(0);
  });

  it("refuses a declared Content-Length over the limit at once and closes the connection", async () => {
    const res = await request(harness.app)
      .post("/api/workouts/upload")
      .set("Cookie", cookie)
      .attach("file", Buffer.alloc(LIMIT + 70_000, 0x41), "big.gpx");
    expect(res.status).to.equal(413);
    expect(res.headers.connection).to.equal("close");
    expect(res.body).to.include({ code: "too_large", field: "file" });
  });

  const PREAMBLE = '--zzzz\r\nContent-Disposition: form-data; name="file"; filename="big.gpx"\r\n\r\n';
  const EPILOGUE = "\r\n--zzzz--\r\n";

  /**
   * Streams a multipart upload of `total` bytes of file content to a listening copy of the app, in 16 KiB
   * chunks, and resolves with the answer and how much had been written when it arrived.
   */
  async function streamUpload(headers: Record<string, string | number>, total: number) {
    const server = harness.app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as AddressInfo;
    const chunk = Buffer.alloc(16 * 1024, 0x41);
    let written = 0;
    try {
      return await new Promise<{ status: number; body: string; written: number; connection?: string }>(
        (resolve, reject) => {
          const req = httpRequest({
            host: "127.0.0.1",
            port,
            method: "POST",
            path: "/api/workouts/upload",
            headers,
          });
          req.on("response", (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => {
              body += d;
            });
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, body, written, connection: res.headers.connection }),
            );
          });
          req.on("error", (error) => {
            // The server may close the socket while we are still writing.
            if (written === 0) reject(error);
          });
          req.write(PREAMBLE);
          const pump = () => {
            while (written < total && !req.destroyed) {
              written += chunk.length;
              if (!req.write(chunk)) {
                req.once("drain", pump);
                return;
              }
            }
            req.end(EPILOGUE);
          };
          pump();
        },
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("cuts off a streamed (chunked) body once it passes the limit, without reading the rest", async () => {
    const total = 400 * 16 * 1024; // 6.5 MB offered, the limit is 20 kB
    const answer = await streamUpload(
      {
        Cookie: cookie,
        "Content-Type": "multipart/form-data; boundary=zzzz",
        "Transfer-Encoding": "chunked",
      },
      total,
    );
    expect(answer.status).to.equal(413);
    expect(answer.connection).to.equal("close");
    expect(JSON.parse(answer.body)).to.include({ code: "too_large", field: "file" });
    expect(answer.written).to.be.below(total);
    expect(await workoutCount(harness)).to.equal(0);
  });

  it("closes the connection instead of reading a body it refuses before reading it (no session)", async () => {
    const total = 400 * 16 * 1024;
    const answer = await streamUpload(
      {
        "Content-Type": "multipart/form-data; boundary=zzzz",
        "Content-Length": PREAMBLE.length + total + EPILOGUE.length,
      },
      total,
    );
    expect(answer.status).to.equal(401);
    expect(answer.connection).to.equal("close");
    expect(JSON.parse(answer.body).code).to.equal("unauthenticated");
    expect(answer.written).to.be.below(total);
  });
});
