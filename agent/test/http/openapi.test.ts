/**
 * The OpenAPI document against the real app: every route the assembled agent mounts (Strava and the coach on) is
 * documented and every documented route is mounted; `GET /api/openapi.json` and `GET /api/docs` serve it; and real
 * answers of the routes, signed in and not, valid and not, validate against the document's response schema for
 * their status (an undocumented status fails too).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import request from "supertest";
import { privateKeyToAccount } from "viem/accounts";
import { type AssembleAgentReturnType, assembleAgent } from "../../src/assembleAgent.ts";
import { ManualClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { buildOpenApiDocument, type OpenApiDocument } from "../../src/http/openapi/apiDocument.ts";
import { createLogger } from "../../src/logger.ts";
import { mountedRoutes } from "../support/mountedRoutes.ts";
import { signIn } from "./signIn.ts";

const ORACLE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
// Hardhat's development account #2 (public, local only).
const USER = privateKeyToAccount("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");

const ENV = {
  DATA_DIR: "memory://",
  ORACLE_PRIVATE_KEY: ORACLE_KEY,
  LOG_LEVEL: "silent",
  STRAVA_CLIENT_ID: "123",
  STRAVA_CLIENT_SECRET: "secret",
  STRAVA_WEBHOOK_VERIFY_TOKEN: "verify-token",
  STRAVA_TOKEN_KEY: "11".repeat(32),
};

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

describe("OpenAPI document", function () {
  this.timeout(60_000);
  let agent: AssembleAgentReturnType;
  let clock: ManualClock;
  let document: OpenApiDocument;
  let cookie: string;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const checked = new Set<string>();

  before(async () => {
    clock = new ManualClock(new Date("2026-11-23T07:00:00Z"));
    agent = await assembleAgent({
      config: loadConfig(ENV),
      clock,
      logger: createLogger({ level: "silent" }),
    });
    document = buildOpenApiDocument();
    cookie = await signIn({ app: agent.app, clock, account: USER });
  });

  after(async () => {
    await agent?.close();
  });

  /** Fails unless `answer` is documented for `method path` and its body validates against that response's schema. */
  function expectDocumented(method: string, path: string, answer: Answer): void {
    const where = `${method.toUpperCase()} ${path} → ${answer.status}`;
    const operation = document.paths[path]?.[method] as
      | { responses: Record<string, { content?: Record<string, { schema?: object }> }> }
      | undefined;
    expect(operation, `${where}: not in the document`).to.not.equal(undefined);
    const response = operation?.responses[String(answer.status)];
    expect(response, `${where}: status not documented; body ${JSON.stringify(answer.body)}`).to.not.equal(
      undefined,
    );
    const media = Object.entries(response?.content ?? {});
    if (media.length === 0) return;
    const contentType = (answer.headers["content-type"] ?? "").split(";")[0] ?? "";
    const entry = media.find(([type]) => type === contentType);
    expect(
      entry,
      `${where}: answered ${contentType}, documented ${media.map(([t]) => t).join(", ")}`,
    ).to.not.equal(undefined);
    const schema = entry?.[1].schema;
    if (schema === undefined) return;
    const validate = ajv.compile({ ...schema, components: document.components });
    const valid = validate(answer.body);
    expect(
      valid,
      `${where}: ${ajv.errorsText(validate.errors)}; body ${JSON.stringify(answer.body)}`,
    ).to.equal(true);
    checked.add(`${method} ${path}`);
  }

  it("documents every route the app mounts, and mounts every documented route", () => {
    const mounted = mountedRoutes(agent.app).map((r) => `${r.method} ${r.path}`);
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(mounted.length).to.be.greaterThan(25);
    expect(
      mounted.filter((route) => !documented.includes(route)),
      "mounted but not documented",
    ).to.deep.equal([]);
    expect(
      documented.filter((route) => !mounted.includes(route)),
      "documented but not mounted",
    ).to.deep.equal([]);
  });

  it("is OpenAPI 3.1 whose schemas all compile and whose references all resolve", () => {
    expect(document.openapi).to.equal("3.1.0");
    let schemas = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const op = operation as {
          responses: Record<string, { content?: Record<string, { schema?: object }> }>;
          requestBody?: { content: Record<string, { schema?: object }> };
        };
        const all = [...Object.values(op.responses), ...(op.requestBody ? [op.requestBody] : [])];
        for (const media of all.flatMap((r) => Object.values(r.content ?? {}))) {
          if (media.schema === undefined) continue;
          expect(
            () => ajv.compile({ ...media.schema, components: document.components }),
            `${method} ${path}`,
          ).to.not.throw();
          schemas++;
        }
      }
    }
    expect(schemas).to.be.greaterThan(60);
  });

  it("serves the document at GET /api/openapi.json and a self-contained page at GET /api/docs", async () => {
    const json = await request(agent.app).get("/api/openapi.json");
    expect(json.status).to.equal(200);
    expect(json.body).to.deep.equal(JSON.parse(JSON.stringify(document)));
    expectDocumented("get", "/api/openapi.json", json);
    const page = await request(agent.app).get("/api/docs");
    expect(page.status).to.equal(200);
    expect(page.headers["content-type"]).to.match(/^text\/html/);
    expect(page.headers["content-security-policy"]).to.include("default-src 'none'");
    expect(page.text).to.not.match(/<script|https?:\/\/(?!127\.)/);
    for (const path of Object.keys(document.paths))
      expect(page.text, path).to.include(`<code>${path}</code>`);
    expectDocumented("get", "/api/docs", page);
  });

  it("real answers validate against the document (signed out, signed in, errors)", async () => {
    const app = agent.app;
    const authed = (r: request.Test) => r.set("Cookie", cookie);

    expectDocumented("get", "/health", await request(app).get("/health"));
    expectDocumented("get", "/api/status", await request(app).get("/api/status"));
    expectDocumented("post", "/api/auth/nonce", await request(app).post("/api/auth/nonce"));
    expectDocumented("get", "/api/auth/session", await request(app).get("/api/auth/session"));
    expectDocumented("get", "/api/auth/session", await authed(request(app).get("/api/auth/session")));
    expectDocumented("post", "/api/auth/verify", await request(app).post("/api/auth/verify").send({}));

    const rules = {
      rules: {
        version: 1,
        timezone: "Europe/Berlin",
        perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run"] },
        evidence: "device",
      },
    };
    const hashed = await request(app).post("/api/rules").send(rules);
    expectDocumented("post", "/api/rules", hashed);
    expectDocumented(
      "post",
      "/api/rules",
      await request(app)
        .post("/api/rules")
        .send({ rules: { version: 9 } }),
    );
    expectDocumented(
      "get",
      "/api/rules/{hash}",
      await request(app).get(`/api/rules/${(hashed.body as { rulesHash: string }).rulesHash}`),
    );
    expectDocumented("get", "/api/rules/{hash}", await request(app).get(`/api/rules/0x${"ab".repeat(32)}`));

    const logged = await authed(request(app).post("/api/workouts")).send({
      sport: "run",
      startTime: "2026-11-22T10:00:00Z",
      durationSec: 1800,
    });
    expectDocumented("post", "/api/workouts", logged);
    expectDocumented("post", "/api/workouts", await request(app).post("/api/workouts").send({}));
    expectDocumented("get", "/api/workouts", await authed(request(app).get("/api/workouts")));
    expectDocumented("get", "/api/workouts", await authed(request(app).get("/api/workouts?limit=nope")));
    const workoutId = (logged.body as { workouts: { id: string }[] }).workouts[0]?.id ?? "missing";
    expectDocumented(
      "patch",
      "/api/workouts/{id}",
      await authed(request(app).patch(`/api/workouts/${workoutId}`)).send({ sport: "ride" }),
    );
    expectDocumented(
      "post",
      "/api/workouts/{id}/review",
      await authed(request(app).post(`/api/workouts/${workoutId}/review`)).send({ note: "please look" }),
    );
    expectDocumented("get", "/api/review", await authed(request(app).get("/api/review")));

    expectDocumented("get", "/api/commitments", await authed(request(app).get("/api/commitments")));
    expectDocumented("get", "/api/commitments/{id}", await authed(request(app).get("/api/commitments/1")));
    expectDocumented("get", "/api/challenges", await request(app).get("/api/challenges"));

    expectDocumented("get", "/api/nudges", await authed(request(app).get("/api/nudges")));
    expectDocumented("get", "/api/preferences", await authed(request(app).get("/api/preferences")));
    expectDocumented(
      "post",
      "/api/agent",
      await authed(request(app).post("/api/agent")).send({ message: "how am I doing?" }),
    );
    expectDocumented(
      "post",
      "/api/calendar",
      await authed(request(app).post("/api/calendar")).send({
        ics: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nEND:VCALENDAR\r\n",
      }),
    );

    expectDocumented("get", "/api/providers/strava", await authed(request(app).get("/api/providers/strava")));
    expectDocumented("get", "/api/providers/strava", await request(app).get("/api/providers/strava"));
    expectDocumented(
      "get",
      "/api/providers/strava/connect",
      await authed(request(app).get("/api/providers/strava/connect")),
    );
    expectDocumented(
      "get",
      "/api/providers/strava/webhook",
      await request(app).get(
        "/api/providers/strava/webhook?hub.mode=subscribe&hub.challenge=abc&hub.verify_token=verify-token",
      ),
    );

    expectDocumented("post", "/api/auth/logout", await authed(request(app).post("/api/auth/logout")));
    // Enough of the API was exercised for this to mean something.
    expect(checked.size, [...checked].join(", ")).to.be.at.least(20);
  });
});
