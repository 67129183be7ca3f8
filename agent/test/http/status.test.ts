import { expect } from "chai";
import request from "supertest";
import { statusRouter } from "../../src/http/statusRouter.ts";
import { buildTestApp, JSON_TYPE } from "./testApp.ts";

const ORACLE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("GET /api/status", () => {
  it("says, without a session, which oracle signs here and that the relayer and Strava are on", async () => {
    const { app } = buildTestApp({
      routes: [
        {
          path: "/status",
          router: statusRouter({
            oracle: ORACLE,
            chainId: 31337,
            vault: VAULT,
            relayerEnabled: true,
            stravaEnabled: true,
          }),
        },
      ],
    });
    const res = await request(app).get("/api/status");
    expect(res.status).to.equal(200);
    expect(res.headers["content-type"]).to.equal(JSON_TYPE);
    expect(res.body).to.deep.equal({
      oracle: ORACLE,
      chainId: 31337,
      vault: VAULT,
      relayer: { enabled: true },
      providers: { strava: true },
    });
  });

  it("answers null for what an agent without a key or vault does not have, the relayer and Strava off", async () => {
    const { app } = buildTestApp({
      routes: [
        {
          path: "/status",
          router: statusRouter({ oracle: undefined, chainId: 1, vault: undefined, relayerEnabled: false }),
        },
      ],
    });
    const res = await request(app).get("/api/status");
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({
      oracle: null,
      chainId: 1,
      vault: null,
      relayer: { enabled: false },
      providers: { strava: false },
    });
  });

  it("answers a POST with a 404 problem, not a status", async () => {
    const { app } = buildTestApp({
      routes: [
        {
          path: "/status",
          router: statusRouter({ oracle: ORACLE, chainId: 1, vault: VAULT, relayerEnabled: false }),
        },
      ],
    });
    const res = await request(app).post("/api/status").send({});
    expect(res.status).to.equal(404);
    expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
  });
});
