import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import request from "supertest";
import { privateKeyToAccount } from "viem/accounts";
import { createRulesProvider } from "../../src/coach/agent/rulesProvider.ts";
import { coachRouter } from "../../src/coach/http/coachRouter.ts";
import { coachTools } from "../../src/coach/tools/coachTools.ts";
import { signIn } from "../http/signIn.ts";
import { buildTestApp, JSON_TYPE, PROBLEM_JSON, type TestApp } from "../http/testApp.ts";
import { yearZeroCursor } from "../support/pageCursors.ts";
import { type CoachTestContext, openCoachTest, seedCommitment } from "./coachFixtures.ts";

const ICS = [
  "BEGIN:VCALENDAR",
  "VERSION:2.0",
  "BEGIN:VEVENT",
  "UID:1",
  "DTSTART:20261124T100000Z",
  "DTEND:20261124T110000Z",
  "END:VEVENT",
  "END:VCALENDAR",
].join("\r\n");

describe("coach routes", () => {
  let t: CoachTestContext;
  let test: TestApp;
  let cookie: string;
  let feed: Server;
  let feedUrl: string;
  const account = privateKeyToAccount(`0x${"7".repeat(64)}`);

  before(async () => {
    t = await openCoachTest();
    await seedCommitment(t.store, { owner: account.address });
    const router = coachRouter({
      coach: t.deps,
      agent: { coach: t.deps, provider: createRulesProvider(), tools: coachTools },
      maxMessageChars: 500,
      calendarMaxBytes: 64 * 1024,
    });
    test = buildTestApp({ routes: [{ path: "/", router }] });
    cookie = await signIn({ app: test.app, clock: test.clock, account });
    feed = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/calendar" });
      res.end(ICS);
    });
    feed.listen(0, "127.0.0.1");
    await once(feed, "listening");
    feedUrl = `http://127.0.0.1:${(feed.address() as AddressInfo).port}/cal.ics`;
  });
  after(async () => {
    await new Promise<void>((resolve) => feed.close(() => resolve()));
    await t.store.close();
  });

  async function expectProblem(res: request.Response, status: number, code: string, field?: string) {
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body.code).to.equal(code);
    if (field !== undefined) expect(res.body.field).to.equal(field);
  }

  it("requires a session on every route", async () => {
    await expectProblem(
      await request(test.app).post("/api/agent").send({ message: "hi" }),
      401,
      "unauthenticated",
    );
    await expectProblem(await request(test.app).get("/api/nudges"), 401, "unauthenticated");
    await expectProblem(
      await request(test.app).put("/api/preferences").send({ channels: [] }),
      401,
      "unauthenticated",
    );
    await expectProblem(
      await request(test.app).post("/api/calendar").send({ ics: ICS }),
      401,
      "unauthenticated",
    );
  });

  it("POST /api/agent answers { conversationId, reply, toolCalls } and continues a conversation", async () => {
    const res = await request(test.app)
      .post("/api/agent")
      .set("Cookie", cookie)
      .send({ message: "How am I doing?" });
    expect(res.status).to.equal(200);
    expect(res.headers["content-type"]).to.equal(JSON_TYPE);
    expect(res.body.reply).to.contain("0 of 3 workouts done");
    expect(res.body.toolCalls.map((c: { name: string }) => c.name)).to.deep.equal([
      "getCommitmentStatus",
      "detectPatterns",
    ]);
    const next = await request(test.app)
      .post("/api/agent")
      .set("Cookie", cookie)
      .send({ message: "thanks", conversationId: res.body.conversationId });
    expect(next.status).to.equal(200);
    expect(next.body.conversationId).to.equal(res.body.conversationId);
    const stored = await t.store.coachConversations.get(res.body.conversationId, account.address);
    expect(stored?.messages.map((m) => m.role)).to.deep.equal(["user", "assistant", "user", "assistant"]);
  });

  it("POST /api/agent: empty, blank, oversized, missing or extra fields → 400 naming the field; nothing stored", async () => {
    const before = (await request(test.app).post("/api/agent").set("Cookie", cookie).send({ message: "hi" }))
      .body.conversationId;
    const cases: [unknown, string][] = [
      [{ message: "" }, "message"],
      [{ message: "   " }, "message"],
      [{ message: "x".repeat(501) }, "message"],
      [{}, "message"],
      [{ message: 5 }, "message"],
      [{ message: "hi", owner: "0x0" }, "owner"],
      [{ message: "hi", conversationId: "nope" }, "conversationId"],
    ];
    for (const [body, field] of cases) {
      await expectProblem(
        await request(test.app)
          .post("/api/agent")
          .set("Cookie", cookie)
          .send(body as object),
        400,
        "invalid_request",
        field,
      );
    }
    await expectProblem(
      await request(test.app)
        .post("/api/agent")
        .set("Cookie", cookie)
        .set("Content-Type", "text/plain")
        .send("hi"),
      415,
      "unsupported_media_type",
    );
    const unknown = await request(test.app)
      .post("/api/agent")
      .set("Cookie", cookie)
      .send({ message: "hi", conversationId: "00000000-0000-4000-8000-000000000000" });
    await expectProblem(unknown, 404, "conversation_not_found", "conversationId");
    const stored = await t.store.coachConversations.get(before, account.address);
    expect(stored?.messages).to.have.length(2);
  });

  it("PUT and GET /api/preferences; invalid input names the field and changes nothing", async () => {
    const fresh = await request(test.app).get("/api/preferences").set("Cookie", cookie);
    expect(fresh.body).to.deep.include({
      saved: false,
      channels: ["inApp"],
      quietHours: { start: "22:00", end: "07:00" },
    });
    const saved = await request(test.app)
      .put("/api/preferences")
      .set("Cookie", cookie)
      .send({
        channels: ["email"],
        email: "alice@example.com",
        timezone: "Europe/Berlin",
        quietHours: { start: "21:30", end: "06:45" },
        dailyCap: 3,
      });
    expect(saved.status).to.equal(200);
    expect(saved.body).to.deep.equal({
      channels: ["inApp", "email"],
      timezone: "Europe/Berlin",
      quietHours: { start: "21:30", end: "06:45" },
      dailyCap: 3,
      email: "alice@example.com",
      webhookUrl: null,
      saved: true,
    });
    const bad: [unknown, string][] = [
      [{ channels: ["email"] }, "email"],
      [{ channels: ["webhook"] }, "webhookUrl"],
      [{ channels: ["sms"] }, "channels.0"],
      [{ channels: [], timezone: "Mars/Base" }, "timezone"],
      [{ channels: [], quietHours: { start: "25:00", end: "07:00" } }, "quietHours.start"],
      [{ channels: [], dailyCap: 11 }, "dailyCap"],
      [{ channels: [], color: "red" }, "color"],
    ];
    for (const [body, field] of bad) {
      await expectProblem(
        await request(test.app)
          .put("/api/preferences")
          .set("Cookie", cookie)
          .send(body as object),
        400,
        "invalid_request",
        field,
      );
    }
    // A webhook URL that is not http(s) is refused (422).
    const refused = await request(test.app)
      .put("/api/preferences")
      .set("Cookie", cookie)
      .send({ channels: ["webhook"], webhookUrl: "ftp://example.com/hook" });
    await expectProblem(refused, 422, "url_refused", "webhookUrl");
    const after = await request(test.app).get("/api/preferences").set("Cookie", cookie);
    expect(after.body.email).to.equal("alice@example.com");
  });

  it("POST /api/calendar: ICS upload (text/calendar or JSON) and URL fetch; bad input → problems", async () => {
    const text = await request(test.app)
      .post("/api/calendar")
      .set("Cookie", cookie)
      .set("Content-Type", "text/calendar")
      .send(ICS);
    expect(text.status).to.equal(200);
    expect(text.body).to.deep.include({ source: "upload", events: 1 });
    const json = await request(test.app).post("/api/calendar").set("Cookie", cookie).send({ ics: ICS });
    expect(json.body).to.deep.include({ source: "upload", events: 1 });
    const fetched = await request(test.app)
      .post("/api/calendar")
      .set("Cookie", cookie)
      .send({ url: feedUrl });
    expect(fetched.status).to.equal(200);
    expect(fetched.body).to.deep.include({ source: "url", events: 1 });
    expect((await t.store.coachCalendars.get(account.address))?.url).to.equal(feedUrl);

    await expectProblem(
      await request(test.app).post("/api/calendar").set("Cookie", cookie).send({ ics: "nonsense" }),
      422,
      "invalid_calendar",
      "ics",
    );
    await expectProblem(
      await request(test.app).post("/api/calendar").set("Cookie", cookie).send({}),
      400,
      "invalid_request",
    );
    await expectProblem(
      await request(test.app)
        .post("/api/calendar")
        .set("Cookie", cookie)
        .send({ url: "http://169.254.169.254/latest" }),
      422,
      "url_refused",
      "url",
    );
    const big = await request(test.app)
      .post("/api/calendar")
      .set("Cookie", cookie)
      .set("Content-Type", "text/calendar")
      .send("X".repeat(70 * 1024));
    expect(big.status).to.equal(413);
    expect((await t.store.coachCalendars.get(account.address))?.url).to.equal(feedUrl);
  });

  it("GET /api/nudges: the owner's in-app feed, paged; bad query → 400", async () => {
    for (const key of ["a", "b", "c"]) {
      await t.store.nudges
        .reserve({
          owner: account.address,
          channel: "inApp",
          dedupeKey: key,
          reason: "r",
          message: `m-${key}`,
          status: "pending",
          dueAt: new Date(t.clock.now()),
        })
        .then((n) =>
          t.store.nudges.setOutcome(n?.id ?? "", { status: "delivered", attempts: 1, lastError: null }),
        );
      t.clock.advance(1000);
    }
    const page = await request(test.app).get("/api/nudges?limit=2").set("Cookie", cookie);
    expect(page.status).to.equal(200);
    expect(page.body.nudges.map((n: { message: string }) => n.message)).to.deep.equal(["m-c", "m-b"]);
    const rest = await request(test.app)
      .get(`/api/nudges?limit=2&cursor=${page.body.nextCursor}`)
      .set("Cookie", cookie);
    expect(rest.body.nudges.map((n: { message: string }) => n.message)).to.deep.equal(["m-a"]);
    expect(rest.body.nextCursor).to.equal(null);
    await expectProblem(
      await request(test.app).get("/api/nudges?limit=0").set("Cookie", cookie),
      400,
      "invalid_request",
      "query.limit",
    );
    // As every listing answers them (was a 422 without a field, and "0x10" or "1e1" was taken as a limit).
    for (const limit of ["1e1", "0x10", "%20%201"]) {
      await expectProblem(
        await request(test.app).get(`/api/nudges?limit=${limit}`).set("Cookie", cookie),
        400,
        "invalid_request",
        "query.limit",
      );
    }
    const yearZero = yearZeroCursor("dueAt");
    for (const cursor of ["zzz", yearZero]) {
      await expectProblem(
        await request(test.app).get(`/api/nudges?cursor=${cursor}`).set("Cookie", cookie),
        400,
        "invalid_request",
        "query.cursor",
      );
    }
  });
});
