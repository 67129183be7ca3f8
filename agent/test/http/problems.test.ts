import { once } from "node:events";
import { type AddressInfo, Socket } from "node:net";
import zlib from "node:zlib";
import { expect } from "chai";
import { Router } from "express";
import multer from "multer";
import request from "supertest";
import { z } from "zod";
import {
  AgentError,
  ConflictError,
  DependencyError,
  ForbiddenError,
  NotFoundError,
  TooLargeError,
  UnsupportedError,
  ValidationError,
} from "../../src/errors.ts";
import { requestSignal } from "../../src/http/requestTimeout.ts";
import { buildTestApp, PROBLEM_JSON, typeOf } from "./testApp.ts";

function throwingRouter(): Router {
  const router = Router();
  const errors: Record<string, () => Error> = {
    validation: () =>
      new ValidationError({
        code: "bad_thing",
        message: "The thing is bad.",
        details: { field: "thing", limit: 3 },
      }),
    forbidden: () => new ForbiddenError({ code: "not_owner", message: "Not yours." }),
    missing: () => new NotFoundError({ code: "commitment_not_found", message: "No such commitment." }),
    conflict: () =>
      new ConflictError({
        code: "milestone_not_met",
        message: "2 of 3 workouts.",
        details: { done: 2, required: 3 },
      }),
    large: () =>
      new TooLargeError({ code: "too_many_points", message: "Too many samples.", details: { limit: 5 } }),
    unsupported: () => new UnsupportedError({ code: "unsupported_format", message: "Not a workout file." }),
    dependency: () =>
      new DependencyError({
        code: "database_error",
        message: "The database failed.",
        cause: new Error("ECONNREFUSED"),
      }),
    reserved: () =>
      new ConflictError({
        code: "c",
        message: "m",
        details: { status: 200, type: "x", title: "t", code: "y" },
      }),
    bare: () => new AgentError({ code: "weird", message: "internal detail 42" }),
    plain: () => new Error("connection string postgres://u:pw@db leaked"),
  };
  router.get("/throw/:kind", (req) => {
    const make = errors[req.params.kind ?? ""];
    throw make === undefined ? new Error("unknown kind") : make();
  });
  router.get("/async-throw", async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new Error("async internals");
  });
  router.post("/zod", (req, res) => {
    const body = z
      .strictObject({ count: z.number().int(), nested: z.object({ name: z.string() }) })
      .parse(req.body);
    res.json(body);
  });
  router.get("/throw-string", () => {
    throw "just a string";
  });
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 10, files: 1 } });
  router.post("/upload", upload.single("file"), (req, res) => {
    res.json({ size: req.file?.size ?? null });
  });
  let aborted: unknown = null;
  router.get("/slow", async (req, res) => {
    const signal = requestSignal(req);
    await new Promise((resolve) => setTimeout(resolve, 250));
    aborted = signal.aborted ? (signal.reason as Error).message : false;
    res.json({ late: true });
  });
  router.get("/slow-callback", (_req, res) => {
    // Callback style: a throw here would be uncaught and kill the process.
    setTimeout(() => res.status(200).set("X-Late", "1").json({ late: true }), 200);
  });
  router.get("/aborted", (_req, res) => {
    res.json({ aborted });
  });
  return router;
}

describe("problem documents", () => {
  const { app, logs } = buildTestApp({
    env: { BODY_LIMIT_BYTES: "1024", REQUEST_TIMEOUT_MS: "100" },
    routes: [{ path: "/test", router: throwingRouter() }],
  });

  it("answers an unknown route with a 404 problem", async () => {
    const res = await request(app).get("/api/nowhere?x=1");
    expect(res.status).to.equal(404);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body).to.deep.equal({
      type: typeOf("not_found"),
      title: "Not Found",
      status: 404,
      detail: "No route for GET /api/nowhere.",
      code: "not_found",
      instance: "/api/nowhere",
      requestId: res.headers["x-request-id"],
    });
  });

  it("answers a wrong method on a known path with a 404 problem", async () => {
    const res = await request(app).delete("/api/rules");
    expect(res.status).to.equal(404);
    expect(res.body.code).to.equal("not_found");
    expect(res.body.detail).to.equal("No route for DELETE /api/rules.");
  });

  it("answers malformed JSON with 400 malformed_json", async () => {
    const res = await request(app)
      .post("/api/rules")
      .set("Content-Type", "application/json")
      .send('{"rules": ');
    expect(res.status).to.equal(400);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body).to.deep.equal({
      type: typeOf("malformed_json"),
      title: "Bad Request",
      status: 400,
      detail: "The request body is not valid JSON (an object or array).",
      code: "malformed_json",
      field: "(body)",
      instance: "/api/rules",
      requestId: res.headers["x-request-id"],
    });
  });

  /**
   * POST /api/rules with `body` as its bytes are: superagent would write a Buffer as JSON, and writes whatever
   * `serialize` returns (its types say a string).
   */
  const postBytes = (body: Buffer, contentType: string) =>
    request(app)
      .post("/api/rules")
      .set("Content-Type", contentType)
      .serialize((bytes: Buffer) => bytes as unknown as string)
      .send(body);

  it("answers a body that is not valid UTF-8 with 400 invalid_utf8, in a value or in a key", async () => {
    const bodies = [
      Buffer.concat([Buffer.from('{"rules":"bad '), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"x'), Buffer.from([0xc3]), Buffer.from('":1}')]),
      // A UTF-8-encoded lone surrogate (CESU-8): not UTF-8 either.
      Buffer.concat([Buffer.from('{"rules":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    ];
    for (const body of bodies) {
      const res = await postBytes(body, "application/json");
      expect(res.status, body.toString("hex")).to.equal(400);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body).to.deep.equal({
        type: typeOf("invalid_utf8"),
        title: "Bad Request",
        status: 400,
        detail: "The request body is not valid UTF-8.",
        code: "invalid_utf8",
        field: "(body)",
        instance: "/api/rules",
        requestId: res.headers["x-request-id"],
      });
    }
  });

  it("answers a JSON body in another Unicode charset (UTF-16, UTF-32) with 415 unsupported_charset", async () => {
    for (const [charset, body] of [
      ["utf-16le", Buffer.from('{"rules":"x"}', "utf16le")],
      ["utf-32le", Buffer.from([0x7b, 0, 0, 0, 0x7d, 0, 0, 0])],
    ] as const) {
      const res = await postBytes(body, `application/json; charset=${charset}`);
      expect(res.status, charset).to.equal(415);
      expect(res.body).to.include({ code: "unsupported_charset", field: "content-type" });
    }
  });

  it("answers a path parameter with a malformed percent-encoding with 400 invalid_path_encoding", async () => {
    for (const hash of ["%zz", "%", "%C0%AF", "%ED%A0%80"]) {
      const res = await request(app).get(`/api/rules/${hash}`);
      expect(res.status, hash).to.equal(400);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body).to.include({ code: "invalid_path_encoding", field: "(path)" });
    }
  });

  it("answers a body that does not decode as its Content-Encoding with 400 naming content-encoding", async () => {
    // zstd where this Node decodes it (body-parser answers 415 otherwise).
    for (const encoding of ["gzip", "deflate", "br", ...("createZstdDecompress" in zlib ? ["zstd"] : [])]) {
      const res = await request(app)
        .post("/api/rules")
        .set("Content-Type", "application/json")
        .set("Content-Encoding", encoding)
        .send("not compressed at all");
      expect(res.status, encoding).to.equal(400);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body, encoding).to.include({
        code: "invalid_content_encoding",
        detail: "The request body does not decode as its Content-Encoding says.",
        field: "content-encoding",
      });
    }
  });

  it("answers a bare JSON string (not an object or array) with 400 malformed_json", async () => {
    const res = await request(app).post("/api/rules").set("Content-Type", "application/json").send('"rules"');
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal("malformed_json");
  });

  it("answers a body over the limit with 413 body_too_large", async () => {
    const res = await request(app)
      .post("/api/rules")
      .set("Content-Type", "application/json")
      .send(JSON.stringify({ rules: "x".repeat(2000) }));
    expect(res.status).to.equal(413);
    expect(res.body).to.deep.equal({
      type: typeOf("body_too_large"),
      title: "Content Too Large",
      status: 413,
      detail: "The request body is larger than allowed.",
      code: "body_too_large",
      field: "(body)",
      limit: 1024,
      instance: "/api/rules",
      requestId: res.headers["x-request-id"],
    });
  });

  it("answers a body in another media type with 415", async () => {
    const res = await request(app).post("/api/rules").set("Content-Type", "text/plain").send("rules");
    expect(res.status).to.equal(415);
    expect(res.body).to.deep.equal({
      type: typeOf("unsupported_media_type"),
      title: "Unsupported Media Type",
      status: 415,
      detail: "The request body must be application/json.",
      code: "unsupported_media_type",
      field: "content-type",
      expected: "application/json",
      instance: "/api/rules",
      requestId: res.headers["x-request-id"],
    });
  });

  it("answers an unsupported charset with 415 unsupported_charset", async () => {
    const res = await request(app)
      .post("/api/rules")
      .set("Content-Type", "application/json; charset=iso-8859-1")
      .send("{}");
    expect(res.status).to.equal(415);
    expect(res.body.code).to.equal("unsupported_charset");
    expect(res.body.field).to.equal("content-type");
  });

  it("answers an unsupported content encoding with 415", async () => {
    const res = await request(app)
      .post("/api/rules")
      .set("Content-Type", "application/json")
      .set("Content-Encoding", "bogus")
      .send("{}");
    expect(res.status).to.equal(415);
    expect(res.body.code).to.equal("unsupported_content_encoding");
    expect(res.body.field).to.equal("content-encoding");
  });

  const MAPPED: [string, number, string, string][] = [
    ["validation", 422, "Unprocessable Content", "bad_thing"],
    ["forbidden", 403, "Forbidden", "not_owner"],
    ["missing", 404, "Not Found", "commitment_not_found"],
    ["conflict", 409, "Conflict", "milestone_not_met"],
    ["large", 413, "Content Too Large", "too_many_points"],
    ["unsupported", 415, "Unsupported Media Type", "unsupported_format"],
    ["dependency", 503, "Service Unavailable", "database_error"],
  ];
  for (const [kind, status, title, code] of MAPPED) {
    it(`maps a thrown ${kind} error to ${status} ${code}`, async () => {
      const res = await request(app).get(`/api/test/throw/${kind}`);
      expect(res.status).to.equal(status);
      expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
      expect(res.body.type).to.equal(typeOf(code));
      expect(res.body.title).to.equal(title);
      expect(res.body.status).to.equal(status);
      expect(res.body.code).to.equal(code);
      // Only a 503 tells the client when to come back.
      expect(res.headers["retry-after"]).to.equal(status === 503 ? "2" : undefined);
    });
  }

  it("keeps a typed error's details (field included) as extension members", async () => {
    const res = await request(app).get("/api/test/throw/validation");
    expect(res.body).to.deep.equal({
      type: typeOf("bad_thing"),
      title: "Unprocessable Content",
      status: 422,
      detail: "The thing is bad.",
      code: "bad_thing",
      field: "thing",
      limit: 3,
      instance: "/api/test/throw/validation",
      requestId: res.headers["x-request-id"],
    });
  });

  it("never lets details override the standard members", async () => {
    const res = await request(app).get("/api/test/throw/reserved");
    expect(res.status).to.equal(409);
    expect(res.body).to.deep.equal({
      type: typeOf("c"),
      title: "Conflict",
      status: 409,
      detail: "m",
      code: "c",
      instance: "/api/test/throw/reserved",
      requestId: res.headers["x-request-id"],
    });
  });

  it("maps a raw ZodError from a handler to 400 with the field path", async () => {
    const res = await request(app)
      .post("/api/test/zod")
      .send({ count: 1, nested: { name: 5 } });
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({
      type: typeOf("invalid_request"),
      title: "Bad Request",
      status: 400,
      detail: "nested.name: Invalid input: expected string, received number",
      code: "invalid_request",
      field: "nested.name",
      issues: [{ field: "nested.name", message: "Invalid input: expected string, received number" }],
      instance: "/api/test/zod",
      requestId: res.headers["x-request-id"],
    });
  });

  for (const path of [
    "/api/test/throw/plain",
    "/api/test/async-throw",
    "/api/test/throw/bare",
    "/api/test/throw-string",
  ]) {
    it(`answers an unexpected failure (${path}) with a 500 that reveals nothing, and logs it with the request id`, async () => {
      const res = await request(app).get(path);
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({
        type: typeOf("internal_error"),
        title: "Internal Server Error",
        status: 500,
        detail: "An unexpected error occurred. Quote the request id when reporting it.",
        code: "internal_error",
        instance: path,
        requestId: res.headers["x-request-id"],
      });
      const logged = logs.filter(
        (line) =>
          line.msg === "unexpected error while handling the request" &&
          line.reqId === res.headers["x-request-id"],
      );
      expect(logged).to.have.length(1);
      expect(logged[0]?.level).to.equal(50);
    });
  }

  it("maps multer's file-size error to 413 file_too_large naming the field", async () => {
    const res = await request(app).post("/api/test/upload").attach("file", Buffer.alloc(100), "run.fit");
    expect(res.status).to.equal(413);
    expect(res.body).to.deep.equal({
      type: typeOf("file_too_large"),
      title: "Content Too Large",
      status: 413,
      detail: "The uploaded file is larger than allowed.",
      code: "file_too_large",
      field: "file",
      instance: "/api/test/upload",
      requestId: res.headers["x-request-id"],
    });
  });

  it("maps multer's unexpected-field error to 400 naming the field", async () => {
    const res = await request(app).post("/api/test/upload").attach("document", Buffer.alloc(5), "run.fit");
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal("unexpected_file");
    expect(res.body.field).to.equal("document");
  });

  it("answers 503 request_timeout when a handler is too slow, aborts its signal and drops its late answer", async () => {
    const res = await request(app).get("/api/test/slow");
    expect(res.status).to.equal(503);
    // A 503 says when to come back (found by the load test: timeouts under load answered without it).
    expect(res.headers["retry-after"]).to.equal("2");
    expect(res.body).to.deep.equal({
      type: typeOf("request_timeout"),
      title: "Service Unavailable",
      status: 503,
      detail: "The request was not answered within 100 ms.",
      code: "request_timeout",
      timeoutMs: 100,
      instance: "/api/test/slow",
      requestId: res.headers["x-request-id"],
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await request(app).get("/api/test/aborted");
    expect(after.body).to.deep.equal({ aborted: "The request was not answered within 100 ms." });
    const late = logs.filter(
      (line) =>
        line.msg === "late response dropped after the request timed out" &&
        line.reqId === res.headers["x-request-id"],
    );
    expect(late).to.have.length(1);
  });

  it("answers 408 request_body_timeout and closes the connection when the client stalls mid-body", async () => {
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    const socket = new Socket();
    try {
      socket.connect((server.address() as AddressInfo).port, "127.0.0.1");
      await once(socket, "connect");
      socket.write(
        "POST /api/rules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
          'Content-Length: 500\r\n\r\n{"rules":',
      );
      let answer = "";
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString("utf8");
      });
      await once(socket, "end");
      expect(answer).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(answer.toLowerCase()).to.contain("connection: close\r\n");
      expect(answer).to.contain(`Content-Type: ${PROBLEM_JSON}\r\n`);
      expect(answer.toLowerCase()).to.not.contain("retry-after");
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as Record<string, unknown>;
      expect(body).to.include({
        status: 408,
        code: "request_body_timeout",
        detail: "The request body did not arrive within 100 ms.",
      });
    } finally {
      socket.destroy();
      server.close();
    }
  });

  it("answers 503 request_timeout, not 408, when the body is still arriving at the deadline", async () => {
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    const socket = new Socket();
    let trickle: NodeJS.Timeout | undefined;
    try {
      socket.connect((server.address() as AddressInfo).port, "127.0.0.1");
      await once(socket, "connect");
      socket.write(
        "POST /api/rules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
          'Content-Length: 500\r\n\r\n{"rules":"',
      );
      // A byte every 10 ms: slower than the deadline allows, but never stalled.
      trickle = setInterval(() => socket.write("x"), 10);
      let answer = "";
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString("utf8");
      });
      while (!answer.includes("\r\n\r\n{")) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(answer).to.match(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
      expect(answer).to.contain('"code":"request_timeout"');
    } finally {
      clearInterval(trickle);
      socket.destroy();
      server.close();
    }
  });

  it("drops a late answer written from a callback without throwing", async () => {
    const res = await request(app).get("/api/test/slow-callback");
    expect(res.status).to.equal(503);
    expect(res.headers["x-late"]).to.equal(undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await request(app).get("/health")).status).to.equal(200);
    const late = logs.filter(
      (line) =>
        line.msg === "late response dropped after the request timed out" &&
        line.reqId === res.headers["x-request-id"],
    );
    expect(late).to.have.length(1);
  });
});
