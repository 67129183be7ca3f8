/**
 * `Idempotency-Key` on the mutating workout and commitment routes, over a real store (PGlite): replays, reuse
 * with a different request, a request still running, validation of the key, scoping per address, and server
 * failures and client errors that release the key.
 */

import canonicalize from "canonicalize";
import { expect } from "chai";
import { type Request, Router } from "express";
import request from "supertest";
import { requireSession } from "../../src/auth/session.ts";
import { idempotency, requestHashOf } from "../../src/http/idempotency.ts";
import { oneHourRunFit, strengthFit } from "../workouts/fixtures.ts";
import {
  cookieFor,
  MONDAY,
  newAccount,
  openRoutesHarness,
  putRules,
  type RoutesHarness,
  seedCommitment,
} from "./routesHarness.ts";
import { PROBLEM_JSON } from "./testApp.ts";

const HOUR_MS = 3_600_000;
const MONDAY_MS = MONDAY * 1000;

describe("Idempotency-Key", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;
  const account = newAccount();
  let cookie: string;

  before(async () => {
    harness = await openRoutesHarness({ signer: null });
    cookie = await cookieFor(harness, account);
  });
  after(async () => {
    await harness?.close();
  });

  const logWorkout = (key: string | undefined, body: object, as = cookie) => {
    const req = request(harness.app).post("/api/workouts").set("Cookie", as);
    return (key === undefined ? req : req.set("Idempotency-Key", key)).send(body);
  };
  /** The request hash the middleware computes for a manual log of `body` (to claim its key as another process). */
  const manualLogHash = (body: object) =>
    requestHashOf({ method: "POST", originalUrl: "/api/workouts" } as Request, canonicalize(body) ?? "");
  /** Claims `key` as another process would (one still running the request, or one that died doing it). */
  const claimElsewhere = (owner: string, key: string, requestHash: string, ttlMs: number) =>
    harness.store.idempotencyKeys.claim({ owner, key, requestHash, ttlMs });
  const storedCount = async (owner: string = account.address) =>
    (await harness.store.workouts.listByOwner(owner)).items.length;

  it("replays the first answer to a retry, storing the workout once", async () => {
    const body = { sport: "run", startTime: "2026-11-23T05:00:00Z", durationMin: 45 };
    const first = await logWorkout("key-1", body);
    expect(first.status).to.equal(201);
    expect(first.headers["idempotent-replayed"]).to.equal(undefined);
    const retry = await logWorkout("key-1", body);
    expect(retry.status).to.equal(201);
    expect(retry.headers["idempotent-replayed"]).to.equal("true");
    expect(retry.headers["content-type"]).to.equal("application/json; charset=utf-8");
    expect(retry.body).to.deep.equal(first.body);
    expect(retry.body.workouts[0].verdict.status).to.equal("accepted");
    expect(await storedCount()).to.equal(1);
  });

  it("answers the same key with a different request 422 idempotency_key_reused", async () => {
    const res = await logWorkout("key-1", {
      sport: "run",
      startTime: "2026-11-23T02:00:00Z",
      durationMin: 45,
    });
    expect(res.status).to.equal(422);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body).to.include({ code: "idempotency_key_reused", field: "idempotency-key" });
    expect(await storedCount()).to.equal(1);
  });

  it("answers a retry while the first request still runs with 409 idempotency_key_in_progress", async () => {
    const body = { sport: "ride", startTime: "2026-11-23T03:00:00Z", durationMin: 30 };
    const requestHash = manualLogHash(body);
    await claimElsewhere(account.address, "running", requestHash, 60_000);
    const res = await logWorkout("running", body);
    expect(res.status).to.equal(409);
    expect(res.body).to.include({ code: "idempotency_key_in_progress", field: "idempotency-key" });
    expect(await storedCount()).to.equal(1);
  });

  it("takes over a key whose holder died mid-request (pending past its lease): the retry runs once", async () => {
    const owner = newAccount();
    const ownerCookie = await cookieFor(harness, owner);
    const body = { sport: "ride", startTime: "2026-11-23T01:00:00Z", durationMin: 30 };
    const requestHash = manualLogHash(body);
    // Claimed by a replica killed before it answered: nothing will ever complete or release it.
    await claimElsewhere(owner.address, "holder-died", requestHash, 24 * HOUR_MS);
    const stored = await storedCount(owner.address);
    const early = await logWorkout("holder-died", body, ownerCookie);
    expect(early.status).to.equal(409);
    expect(early.body).to.include({ code: "idempotency_key_in_progress" });
    // Past the default lease (the 60-s abandoned wait plus 30 s).
    harness.clock.advance(90_000);
    const retry = await logWorkout("holder-died", body, ownerCookie);
    expect(retry.status).to.equal(201);
    expect(await storedCount(owner.address)).to.equal(stored + 1);
    const replay = await logWorkout("holder-died", body, ownerCookie);
    expect(replay.status).to.equal(201);
    expect(replay.headers["idempotent-replayed"]).to.equal("true");
    expect(await storedCount(owner.address)).to.equal(stored + 1);
  });

  it("with a longer request timeout, a pending key is taken over only after that timeout plus the abandoned wait", async () => {
    const owner = newAccount();
    const ownerCookie = await cookieFor(harness, owner);
    const long = Router();
    let runs = 0;
    long.post(
      "/",
      requireSession,
      idempotency({ store: harness.store, logger: harness.logger, requestTimeoutMs: 120_000 }),
      (_req, res) => {
        runs += 1;
        res.status(201).json({ ran: runs });
      },
    );
    harness.routes.use("/long-timeout", long);
    const requestHash = requestHashOf(
      { method: "POST", originalUrl: "/api/long-timeout" } as Request,
      canonicalize({}) ?? "",
    );
    await claimElsewhere(owner.address, "long-holder", requestHash, 24 * HOUR_MS);
    const send = () =>
      request(harness.app)
        .post("/api/long-timeout")
        .set("Cookie", ownerCookie)
        .set("Idempotency-Key", "long-holder")
        .send({});
    // A live holder may keep it for 120 s (the timeout) + 60 s (its client left): 91 s is not past the lease.
    harness.clock.advance(91_000);
    expect((await send()).status).to.equal(409);
    harness.clock.advance(104_000);
    const taken = await send();
    expect(taken.status).to.equal(201);
    expect(runs).to.equal(1);
  });

  it("validates the key: 1 to 255 printable ASCII characters", async () => {
    const body = { sport: "run", startTime: "2026-11-22T05:00:00Z", durationMin: 45 };
    for (const key of ["k".repeat(256), "caf\u00e9"]) {
      const res = await logWorkout(key, body);
      expect(res.status).to.equal(400);
      expect(res.body).to.include({ code: "invalid_idempotency_key", field: "idempotency-key" });
    }
    expect(await storedCount()).to.equal(1);
    const longest = await logWorkout("k".repeat(255), body);
    expect(longest.status).to.equal(201);
  });

  it("scopes keys to the signed-in address", async () => {
    const other = newAccount();
    const res = await logWorkout(
      "key-1",
      { sport: "run", startTime: "2026-11-23T05:00:00Z", durationMin: 45 },
      await cookieFor(harness, other),
    );
    expect(res.status).to.equal(201);
    expect(res.headers["idempotent-replayed"]).to.equal(undefined);
    expect(await storedCount(other.address)).to.equal(1);
  });

  it("does not record a client error: a retry under the key runs again", async () => {
    const first = await logWorkout("bad", { sport: "yoga" });
    expect(first.status).to.equal(400);
    expect(first.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(await harness.store.idempotencyKeys.get({ owner: account.address, key: "bad" })).to.equal(null);
    const retry = await logWorkout("bad", { sport: "yoga" });
    expect(retry.status).to.equal(400);
    expect(retry.headers["idempotent-replayed"]).to.equal(undefined);
  });

  it("answers a body RFC 8785 cannot canonicalize (a lone surrogate, 1e309) with the route's 400, not a 500", async () => {
    const cases: [body: string, field: string][] = [
      ['{"sport":"run","startTime":"2026-11-21T05:00:00Z","durationMin":45,"notes":"\\ud800"}', "notes"],
      ['{"sport":"run","startTime":"2026-11-21T05:00:00Z","durationMin":1e309}', "durationMin"],
      // Deep enough that serializing the parsed body again would overflow the stack.
      [`{"notes":${"[".repeat(10_000)}"\\ud800"${"]".repeat(10_000)}}`, "notes"],
    ];
    const before = await storedCount();
    for (const [body, field] of cases) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await request(harness.app)
          .post("/api/workouts")
          .set("Cookie", cookie)
          .set("Idempotency-Key", `uncanonical-${field}`)
          .set("Content-Type", "application/json")
          .send(body);
        expect(res.status, `${body}: ${JSON.stringify(res.body)}`).to.equal(400);
        expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
        expect(res.body.field.split(".")[0]).to.equal(field);
      }
    }
    expect(await storedCount()).to.equal(before);
  });

  it("identifies an upload by its file: same file replays, another file under the key is refused", async () => {
    const upload = (bytes: Uint8Array) =>
      request(harness.app)
        .post("/api/workouts/upload")
        .set("Cookie", cookie)
        .set("Idempotency-Key", "upload-1")
        .attach("file", Buffer.from(bytes), "w.fit");
    const file = oneHourRunFit(MONDAY_MS - 48 * HOUR_MS);
    const first = await upload(file);
    expect(first.status).to.equal(201);
    const retry = await upload(file);
    expect(retry.status).to.equal(201);
    expect(retry.headers["idempotent-replayed"]).to.equal("true");
    expect(retry.body).to.deep.equal(first.body);
    expect(retry.body.workouts[0].verdict.status).to.equal("accepted");
    const other = await upload(strengthFit(MONDAY_MS - 24 * HOUR_MS));
    expect(other.status).to.equal(422);
    expect(other.body.code).to.equal("idempotency_key_reused");
  });

  it("releases the key after a server failure, so a retry runs again", async () => {
    const rulesHash = await putRules(harness.store);
    await seedCommitment(harness.store, { owner: account.address, commitmentId: 1n, rulesHash });
    harness.clock.set(Date.UTC(2026, 10, 27, 12));
    for (const hours of [6, 30, 54]) {
      const res = await request(harness.app)
        .post("/api/workouts/upload")
        .set("Cookie", cookie)
        .attach("file", Buffer.from(strengthFit(MONDAY_MS + hours * HOUR_MS)), "w.fit");
      expect(res.body.workouts[0].verdict.countsFor).to.deep.equal([
        { commitmentId: "1", milestoneIndex: 0 },
      ]);
    }
    const attest = () =>
      request(harness.app)
        .post("/api/commitments/1/milestones/0/attestation")
        .set("Cookie", cookie)
        .set("Idempotency-Key", "attest-1");
    const res = await attest();
    expect(res.status).to.equal(503);
    expect(res.body.code).to.equal("oracle_not_configured");
    expect(await harness.store.idempotencyKeys.get({ owner: account.address, key: "attest-1" })).to.equal(
      null,
    );
    const retry = await attest();
    expect(retry.status).to.equal(503);
    expect(retry.headers["idempotent-replayed"]).to.equal(undefined);

    const notFound = await request(harness.app)
      .post("/api/commitments/2/milestones/0/attestation")
      .set("Cookie", cookie)
      .set("Idempotency-Key", "attest-2");
    expect(notFound.status).to.equal(404);
    // Not recorded either: the commitment may exist once the indexer has caught up.
    expect(await harness.store.idempotencyKeys.get({ owner: account.address, key: "attest-2" })).to.equal(
      null,
    );
  });
});

describe("Idempotency-Key and the request timeout", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;
  let cookie: string;
  const account = newAccount();
  let finished: Promise<void> = Promise.resolve();

  before(async () => {
    const slow = Router();
    harness = await openRoutesHarness({ env: { REQUEST_TIMEOUT_MS: "1000" } });
    slow.post(
      "/",
      requireSession,
      idempotency({ store: harness.store, logger: harness.logger }),
      (_req, res) => {
        finished = new Promise((resolve) =>
          setTimeout(() => {
            res.status(201).json({ late: true });
            resolve();
          }, 2000),
        );
      },
    );
    harness.routes.use("/slow", slow);
    cookie = await cookieFor(harness, account);
  });
  after(async () => {
    await harness?.close();
  });

  it("answers the timeout at once and releases the key, so a retry runs again", async () => {
    const send = () =>
      request(harness.app).post("/api/slow").set("Cookie", cookie).set("Idempotency-Key", "slow-1");
    const res = await send();
    expect(res.status).to.equal(503);
    expect(res.body.code).to.equal("request_timeout");
    await finished;
    expect(await harness.store.idempotencyKeys.get({ owner: account.address, key: "slow-1" })).to.equal(null);
    const retry = await send();
    expect(retry.status).to.equal(503);
    expect(retry.body.code).to.equal("request_timeout");
    await finished;
  });
});

describe("Idempotency-Key when the client leaves before the answer", function () {
  this.timeout(60_000);
  let harness: RoutesHarness;
  let cookie: string;
  const account = newAccount();
  let runs = 0;
  let finished: Promise<void> = Promise.resolve();

  before(async () => {
    const slow = Router();
    harness = await openRoutesHarness({});
    const answerAfter = (ms: number, status: number) => (_req: Request, res: import("express").Response) => {
      runs += 1;
      const run = runs;
      finished = new Promise((resolve) =>
        setTimeout(() => {
          if (status >= 400) res.status(status).json({ code: "failed" });
          else res.status(status).json({ run });
          resolve();
        }, ms),
      );
    };
    slow.post(
      "/ok",
      requireSession,
      idempotency({ store: harness.store, logger: harness.logger }),
      answerAfter(300, 201),
    );
    slow.post(
      "/fails",
      requireSession,
      idempotency({ store: harness.store, logger: harness.logger }),
      answerAfter(300, 500),
    );
    slow.post(
      "/never",
      requireSession,
      idempotency({ store: harness.store, logger: harness.logger, abandonedReleaseMs: 200 }),
      () => {
        runs += 1;
      },
    );
    harness.routes.use("/left", slow);
    cookie = await cookieFor(harness, account);
  });
  after(async () => {
    await harness?.close();
  });

  const post = (path: string, key: string) =>
    request(harness.app).post(`/api/left/${path}`).set("Cookie", cookie).set("Idempotency-Key", key);
  const leave = async (path: string, key: string) => {
    const error = await post(path, key)
      .timeout(50)
      .then(
        () => undefined,
        (e: unknown) => e as { timeout?: number },
      );
    expect(error?.timeout, "the client gave up").to.equal(50);
  };

  it("records the answer the handler gives after the client left, and replays it to the retry", async () => {
    runs = 0;
    await leave("ok", "left-1");
    // While the handler still runs, a retry is told to come back.
    const early = await post("ok", "left-1");
    expect(early.status).to.equal(409);
    expect(early.body.code).to.equal("idempotency_key_in_progress");
    await finished;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const retry = await post("ok", "left-1");
    expect(retry.status).to.equal(201);
    expect(retry.headers["idempotent-replayed"]).to.equal("true");
    expect(retry.body).to.deep.equal({ run: 1 });
    expect(runs).to.equal(1);
  });

  it("releases the key when the handler fails after the client left, so a retry runs again", async () => {
    runs = 0;
    await leave("fails", "left-2");
    await finished;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const retry = await post("fails", "left-2");
    expect(retry.status).to.equal(500);
    expect(retry.headers["idempotent-replayed"]).to.equal(undefined);
    expect(runs).to.equal(2);
  });

  it("gives the key up when the handler never answers after the client left", async () => {
    runs = 0;
    await leave("never", "left-3");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await harness.store.idempotencyKeys.get({ owner: account.address, key: "left-3" })).to.equal(null);
  });
});
