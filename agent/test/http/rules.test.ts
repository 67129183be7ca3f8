import { expect } from "chai";
import request from "supertest";
import { keccak256, toBytes } from "viem";
import { buildTestApp, JSON_TYPE, PROBLEM_JSON, typeOf } from "./testApp.ts";

const EXAMPLE = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
};
const CANONICAL =
  '{"evidence":"device","perMilestone":{"activities":["run","ride","strength"],"minMinutes":30,"minWorkouts":3},"timezone":"Europe/Berlin","version":1}';

describe("POST /api/rules", () => {
  const { app } = buildTestApp();

  it("returns the canonical form and rulesHash of { rules }", async () => {
    const res = await request(app).post("/api/rules").send({ rules: EXAMPLE });
    expect(res.status).to.equal(200);
    expect(res.headers["content-type"]).to.equal(JSON_TYPE);
    expect(res.body).to.deep.equal({ rulesHash: keccak256(toBytes(CANONICAL)), canonical: CANONICAL });
  });

  it("accepts application/*+json", async () => {
    const res = await request(app)
      .post("/api/rules")
      .set("Content-Type", "application/merge-patch+json")
      .send(JSON.stringify({ rules: EXAMPLE }));
    expect(res.status).to.equal(200);
    expect(res.body.canonical).to.equal(CANONICAL);
  });

  it("answers a missing rules field with 400 naming it", async () => {
    const res = await request(app).post("/api/rules").send({});
    expect(res.status).to.equal(400);
    expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
    expect(res.body).to.deep.equal({
      type: typeOf("invalid_request"),
      title: "Bad Request",
      status: 400,
      detail: "rules: is required",
      code: "invalid_request",
      field: "rules",
      issues: [{ field: "rules", message: "is required" }],
      instance: "/api/rules",
      requestId: res.headers["x-request-id"],
    });
  });

  it("answers no body at all like an empty one", async () => {
    const res = await request(app).post("/api/rules");
    expect(res.status).to.equal(400);
    expect(res.body.field).to.equal("rules");
  });

  it("answers an extra top-level field with 400 naming it", async () => {
    const res = await request(app).post("/api/rules").send({ rules: EXAMPLE, owner: "alice" });
    expect(res.status).to.equal(400);
    expect(res.body.detail).to.equal("owner: is not allowed");
    expect(res.body.field).to.equal("owner");
  });

  it("answers an array body with 400 on the body itself", async () => {
    const res = await request(app).post("/api/rules").send([EXAMPLE]);
    expect(res.status).to.equal(400);
    expect(res.body.field).to.equal("(body)");
    expect(res.body.detail).to.equal("(body): Invalid input: expected object, received array");
  });

  it("answers an invalid document with 422 invalid_rules naming the field inside it", async () => {
    const rules = { ...EXAMPLE, perMilestone: { ...EXAMPLE.perMilestone, minWorkouts: 0 } };
    const res = await request(app).post("/api/rules").send({ rules });
    expect(res.status).to.equal(422);
    expect(res.body).to.deep.equal({
      type: typeOf("invalid_rules"),
      title: "Unprocessable Content",
      status: 422,
      detail: "rules.perMilestone.minWorkouts: Too small: expected number to be >=1",
      code: "invalid_rules",
      field: "rules.perMilestone.minWorkouts",
      issues: [{ field: "rules.perMilestone.minWorkouts", message: "Too small: expected number to be >=1" }],
      instance: "/api/rules",
      requestId: res.headers["x-request-id"],
    });
  });

  it("names missing, extra and wrongly typed fields inside the document", async () => {
    const { timezone: _omitted, ...withoutTimezone } = EXAMPLE;
    const cases: [unknown, string, string][] = [
      [withoutTimezone, "rules.timezone", "is required"],
      [{ ...EXAMPLE, color: "red" }, "rules.color", "is not allowed"],
      [
        { ...EXAMPLE, perMilestone: { ...EXAMPLE.perMilestone, extra: 1 } },
        "rules.perMilestone.extra",
        "is not allowed",
      ],
      [{ ...EXAMPLE, version: "1" }, "rules.version", "Invalid input: expected 1"],
      [
        { ...EXAMPLE, timezone: "Mars/Olympus" },
        "rules.timezone",
        "must be an IANA time zone, e.g. Europe/Berlin",
      ],
      ["a string", "rules", "Invalid input: expected object, received string"],
    ];
    for (const [rules, field, message] of cases) {
      const res = await request(app).post("/api/rules").send({ rules });
      expect(res.status, JSON.stringify(rules)).to.equal(422);
      expect(res.body.field).to.equal(field);
      expect(res.body.detail).to.equal(`${field}: ${message}`);
    }
  });
});
