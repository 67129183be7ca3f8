/**
 * The deployment record's `agents` list (issue 15): where each oracle's agent is reached, so the web app can ask
 * every oracle. Optional (older records have none); when present, each entry is an http(s) URL and an address.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { type DeploymentRecord, readDeployment } from "../../scripts/lib/writeDeployment.js";

const ADMIN = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const ORACLES = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"];

function record(extra: Partial<DeploymentRecord> | Record<string, unknown>): Record<string, unknown> {
  return {
    network: "localhost",
    chainId: 31337,
    vault: {
      address: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      deploymentBlock: 1,
      transactionHash: `0x${"ab".repeat(32)}`,
      constructorArgs: [ADMIN, ORACLES, 2],
    },
    deployer: ADMIN,
    admin: ADMIN,
    oracles: ORACLES,
    threshold: 2,
    tokens: [],
    deployedAt: "2026-12-05T09:00:00.000Z",
    ...extra,
  };
}

describe("deployment record: agents", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ra-agents-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function read(content: Record<string, unknown>) {
    const file = path.join(dir, "localhost.json");
    writeFileSync(file, JSON.stringify(content));
    return readDeployment(file);
  }

  it("keeps each oracle's agent URL", async () => {
    const agents = [
      { url: "https://oracle-1.example", oracle: ORACLES[0] },
      { url: "http://127.0.0.1:8790", oracle: ORACLES[1] },
    ];
    expect((await read(record({ agents }))).agents).to.deep.equal(agents);
  });

  it("is optional: a record without agents still reads", async () => {
    expect((await read(record({}))).agents).to.equal(undefined);
  });

  it("refuses an agent URL that is not http(s), naming the field", async () => {
    const file = path.join(dir, "localhost.json");
    let message = "";
    try {
      await read(record({ agents: [{ url: "ftp://oracle", oracle: ORACLES[0] }] }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.contain(`${file} is not a deployment record this version writes: agents.0.url`);
  });
});
