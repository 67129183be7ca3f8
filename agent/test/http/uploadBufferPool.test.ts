/**
 * The upload buffer pool (http/uploadBufferPool.ts): slots of shared memory reused from upload to upload, held
 * until both the upload's response is closed and every parse task reading them has ended; and the upload route
 * on the parse pool receiving into those slots with the same answers as before.
 */
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import request from "supertest";
import { UploadBufferPool } from "../../src/http/uploadBufferPool.ts";
import { ownBytes } from "../../src/workouts/parseWorker.ts";
import { DEFAULT_WORKOUT_FILE_LIMITS } from "../../src/workouts/parseWorkoutFile.ts";
import { createWorkoutParsePool, type WorkoutParsePool } from "../../src/workouts/workoutParsePool.ts";
import { gpx, oneHourRunFit, track, utf8 } from "../workouts/fixtures.ts";
import {
  cookieFor,
  MONDAY,
  newAccount,
  openRoutesHarness,
  putRules,
  type RoutesHarness,
  seedCommitment,
} from "./routesHarness.ts";

describe("UploadBufferPool", () => {
  it("hands out a slot's first bytes as shared memory and takes it back for the next upload", () => {
    const pool = new UploadBufferPool({ slotBytes: 1024, maxSlots: 2 });
    const first = pool.lease(100);
    expect(first?.bytes.length).to.equal(100);
    expect(first?.bytes.buffer).to.be.instanceOf(SharedArrayBuffer);
    expect(first?.bytes.buffer.byteLength).to.equal(1024);
    expect(pool.leased).to.equal(1);
    const memory = first?.bytes.buffer;
    first?.release();
    expect(pool.leased).to.equal(0);
    expect(pool.kept).to.equal(1);
    const second = pool.lease(1024);
    expect(second?.bytes.buffer, "the same memory again").to.equal(memory);
    expect(pool.kept).to.equal(0);
  });

  it("leases at most maxSlots at once and nothing larger than a slot", () => {
    const pool = new UploadBufferPool({ slotBytes: 1024, maxSlots: 2 });
    expect(pool.lease(1025)).to.equal(undefined);
    expect(pool.lease(-1)).to.equal(undefined);
    const a = pool.lease(10);
    const b = pool.lease(10);
    expect(a?.bytes.buffer).to.not.equal(b?.bytes.buffer);
    expect(pool.lease(10), "a third upload at once gets its own buffer").to.equal(undefined);
    b?.release();
    expect(pool.lease(10)?.bytes.buffer).to.equal(b?.bytes.buffer);
  });

  it("keeps a slot out of the pool until every holder released it, each release counting once", () => {
    const pool = new UploadBufferPool({ slotBytes: 64, maxSlots: 1 });
    const lease = pool.lease(64);
    if (lease === undefined) throw new Error("no lease");
    const releaseTask = lease.retain();
    expect(releaseTask).to.be.a("function");
    lease.release();
    lease.release();
    expect(lease.held).to.equal(false);
    expect(pool.leased, "the parse task still reads it").to.equal(1);
    expect(pool.lease(1), "not handed to the next upload under the task").to.equal(undefined);
    releaseTask?.();
    expect(pool.leased).to.equal(0);
    expect(pool.kept).to.equal(1);
    releaseTask?.();
    expect(pool.kept).to.equal(1);
  });

  it("lets no reader join once the upload let its slot go: the memory may be another upload's", () => {
    const pool = new UploadBufferPool({ slotBytes: 64, maxSlots: 1 });
    const first = pool.lease(8);
    if (first === undefined) throw new Error("no lease");
    first.release();
    const second = pool.lease(8);
    expect(second?.bytes.buffer, "the same memory, now the second upload's").to.equal(first.bytes.buffer);
    expect(first.retain(), "the first upload's late reader").to.equal(undefined);
    expect(second?.retain()).to.be.a("function");
  });

  it("drops its free slots once it has been idle for idleMs", async () => {
    const pool = new UploadBufferPool({ slotBytes: 64, maxSlots: 2, idleMs: 20 });
    pool.lease(8)?.release();
    expect(pool.kept).to.equal(1);
    await sleep(60);
    expect(pool.kept).to.equal(0);
  });
});

describe("parse worker: shared memory", () => {
  it("copies a file in shared memory into memory of its own, and leaves any other file as it came", () => {
    const shared = new Uint8Array(new SharedArrayBuffer(16));
    shared.set([1, 2, 3], 4);
    const view = shared.subarray(4, 7);
    const own = ownBytes(view);
    expect(own.buffer).to.be.instanceOf(ArrayBuffer);
    expect([...own]).to.deep.equal([1, 2, 3]);
    shared[4] = 9;
    expect(own[0], "a copy, not a view").to.equal(1);
    const plain = new Uint8Array([5, 6]);
    expect(ownBytes(plain)).to.equal(plain);
  });
});

describe("POST /api/workouts/upload on the parse pool", function () {
  this.timeout(120_000);
  let harness: RoutesHarness;
  let parsePool: WorkoutParsePool;
  const uploadBufferPool = new UploadBufferPool({ slotBytes: 4 * 1024 * 1024 + 1, maxSlots: 2 });
  let cookie: string;

  before(async () => {
    parsePool = createWorkoutParsePool({ threads: 1, queueMax: 1 });
    harness = await openRoutesHarness({ parsePool, uploadBufferPool });
    const account = newAccount();
    cookie = await cookieFor(harness, account);
    await seedCommitment(harness.store, {
      owner: account.address,
      commitmentId: 1n,
      rulesHash: await putRules(harness.store),
    });
  });
  after(async () => {
    await harness?.close();
    await parsePool?.close();
  });

  const upload = (bytes: Uint8Array, name: string) =>
    request(harness.app)
      .post("/api/workouts/upload")
      .set("Cookie", cookie)
      .attach("file", Buffer.from(bytes), name);

  it("parses files received into reused shared memory: each answer is the file's own", async () => {
    const hour = 3_600_000;
    const fit = oneHourRunFit(MONDAY * 1000 + hour);
    const text = utf8(
      gpx({
        type: "running",
        segments: [track({ start: MONDAY * 1000 + 5 * hour, seconds: 1800, speedMps: 3 })],
      }),
    );
    const first = await upload(fit, "run.fit");
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    // The second, shorter-or-longer file lands in the same slot: its answer must be its own, not the first's.
    const second = await upload(text, "run.gpx");
    expect(second.status, JSON.stringify(second.body)).to.equal(201);
    expect(second.body.workouts[0].id).to.not.equal(first.body.workouts[0].id);
    expect(second.body.workouts[0].startTime).to.equal(
      new Date(MONDAY * 1000 + 5 * hour).toISOString().replace(".000Z", "Z"),
    );
    expect(first.body.workouts[0].startTime).to.equal(
      new Date(MONDAY * 1000 + hour).toISOString().replace(".000Z", "Z"),
    );
    const again = await upload(fit, "run-again.fit");
    expect(again.status).to.equal(201);
    expect(again.body.workouts[0].verdict.reasons[0].code, "the same bytes, recognised").to.equal(
      "duplicate",
    );
    expect(again.body.workouts[0].id).to.equal(first.body.workouts[0].id);
    // All three went through one slot, back in the pool once each answer was sent.
    await sleep(50);
    expect(uploadBufferPool.leased).to.equal(0);
    expect(uploadBufferPool.kept).to.equal(1);
  });

  it("holds the slot while the file is parsed and gives it back after a refusal too", async () => {
    const refused = await request(harness.app)
      .post("/api/workouts/upload")
      .set("Cookie", cookie)
      .attach("file", Buffer.from("not a workout at all"), "notes.txt");
    expect(refused.status).to.equal(415);
    await sleep(50);
    expect(uploadBufferPool.leased).to.equal(0);
    expect(uploadBufferPool.kept).to.equal(1);
  });
});

describe("POST /api/workouts/upload on the parse pool: a request that timed out mid-upload", function () {
  this.timeout(120_000);

  it("stops writing into its slot when answered, so the next upload's file is its own", async () => {
    const parsePool = createWorkoutParsePool({ threads: 1, queueMax: 1 });
    const uploadBufferPool = new UploadBufferPool({ slotBytes: 4 * 1024 * 1024 + 1, maxSlots: 1 });
    const harness = await openRoutesHarness({
      parsePool,
      uploadBufferPool,
      env: { REQUEST_TIMEOUT_MS: "1000" },
    });
    const server = harness.app.listen(0, "127.0.0.1");
    try {
      await once(server, "listening");
      const port = (server.address() as AddressInfo).port;
      const hour = 3_600_000;
      const fileOf = (startMs: number) =>
        utf8(gpx({ type: "running", segments: [track({ start: startMs, seconds: 1800, speedMps: 3 })] }));
      // The pool's thread started and warm: its first start (loading the parsers) took more than Bob's 1-s timeout
      // on a loaded machine, which is not what this test is about.
      await parsePool.parse(fileOf(MONDAY * 1000), DEFAULT_WORKOUT_FILE_LIMITS);
      const bodyOf = (file: Uint8Array, name: string) =>
        Buffer.concat([
          Buffer.from(
            `--XB\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/gpx+xml\r\n\r\n`,
          ),
          Buffer.from(file),
          Buffer.from("\r\n--XB--\r\n"),
        ]);
      const post = (cookie: string, body: Buffer) => {
        const req = httpRequest({
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/workouts/upload",
          headers: {
            cookie,
            "content-type": "multipart/form-data; boundary=XB",
            "content-length": body.length,
          },
        });
        const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
          req.on("response", (res) => {
            let text = "";
            res.on("data", (chunk) => {
              text += chunk;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          });
          req.on("error", reject);
        });
        return { req, answer };
      };
      // Alice sends half her file and is answered by the request timeout while her body is still open: 408, her
      // delay (the connection closes with it, so whatever of her file is still on its way is not read; that bytes
      // arriving after a slot is given back never land in it is uploadStorage.test.ts's "once detached").
      const aliceBody = bodyOf(fileOf(MONDAY * 1000 + hour), "alice.gpx");
      const alice = post(await cookieFor(harness, newAccount()), aliceBody);
      const half = Math.floor(aliceBody.length / 2);
      alice.req.write(aliceBody.subarray(0, half));
      expect((await alice.answer).status).to.equal(408);
      // Bob uploads into the only slot; then the rest of Alice's file arrives.
      const bobStart = MONDAY * 1000 + 4 * hour;
      const bobBody = bodyOf(fileOf(bobStart), "bob.gpx");
      const bob = post(await cookieFor(harness, newAccount()), bobBody);
      bob.req.write(bobBody.subarray(0, half));
      await sleep(50);
      alice.req.end(aliceBody.subarray(half));
      await sleep(50);
      bob.req.end(bobBody.subarray(half));
      const answer = await bob.answer;
      expect(answer.status, answer.body).to.equal(201);
      const [workout] = JSON.parse(answer.body).workouts;
      expect(workout.startTime).to.equal(new Date(bobStart).toISOString().replace(".000Z", "Z"));
      expect(workout.verdict.status, JSON.stringify(workout.verdict)).to.equal("accepted");
    } finally {
      server.closeAllConnections();
      server.close();
      await harness.close();
      await parsePool.close();
    }
  });
});
