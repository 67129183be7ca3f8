/**
 * `npm run verify`: the requests built from a deployment record, and the script's refusals. Nothing here contacts
 * an explorer or an RPC: the script is run with records in a temporary DEPLOYMENTS_DIR and stops before it would
 * connect (a missing record, a missing key, a local chain, or VERIFY_DRY_RUN).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  CHALLENGE_POOL_CONTRACT,
  MOCK_TOKEN_CONTRACT,
  VAULT_CONTRACT,
  verificationProviders,
  verificationRequests,
} from "../../scripts/lib/verification.js";
import { type DeploymentRecord, readDeployment } from "../../scripts/lib/writeDeployment.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ADMIN = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const ORACLES = ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"];
const VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const MOCK = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const REAL_USDC = "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238";

function sepoliaRecord(tokens: DeploymentRecord["tokens"]): DeploymentRecord {
  return {
    network: "sepolia",
    chainId: 11155111,
    vault: {
      address: VAULT,
      deploymentBlock: 7_000_000,
      transactionHash: `0x${"ab".repeat(32)}`,
      constructorArgs: [ADMIN, ORACLES, 2],
    },
    deployer: ADMIN,
    admin: ADMIN,
    oracles: ORACLES,
    threshold: 2,
    tokens,
    deployedAt: "2026-11-22T09:00:00.000Z",
  };
}

const MOCK_TOKEN = {
  address: MOCK,
  symbol: "USDC",
  decimals: 6,
  permit: true,
  mock: true,
  constructorArgs: ["USD Coin (local)", "USDC", 6] as [string, string, number],
};

describe("verify: requests from a deployment record", () => {
  it("verifies the vault with its constructor arguments, and the mock token the deploy created", () => {
    expect(verificationRequests(sepoliaRecord([MOCK_TOKEN]))).to.deep.equal([
      {
        label: "CommitmentVault",
        address: VAULT,
        contract: VAULT_CONTRACT,
        constructorArgs: [ADMIN, ORACLES, 2],
      },
      {
        label: "MockERC20Permit (USDC)",
        address: MOCK,
        contract: MOCK_TOKEN_CONTRACT,
        constructorArgs: ["USD Coin (local)", "USDC", 6],
      },
    ]);
  });

  it("verifies the challenge pool (vault, admin) when the record has one", () => {
    const POOL = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9";
    const record: DeploymentRecord = {
      ...sepoliaRecord([]),
      challengePool: {
        address: POOL,
        deploymentBlock: 7_000_001,
        transactionHash: `0x${"cd".repeat(32)}`,
        constructorArgs: [VAULT, ADMIN],
      },
    };
    expect(verificationRequests(record)[1]).to.deep.equal({
      label: "ChallengePool",
      address: POOL,
      contract: CHALLENGE_POOL_CONTRACT,
      constructorArgs: [VAULT, ADMIN],
    });
  });

  it("leaves allowlisted tokens it did not deploy alone", () => {
    const real = { address: REAL_USDC, symbol: "USDC", decimals: 6, permit: true, mock: false };
    expect(verificationRequests(sepoliaRecord([real])).map((r) => r.label)).to.deep.equal([
      "CommitmentVault",
    ]);
  });

  it("reads VERIFY_PROVIDERS: default etherscan + sourcify, de-duplicated, unknown names refused", () => {
    expect(verificationProviders(undefined)).to.deep.equal(["etherscan", "sourcify"]);
    expect(verificationProviders(" sourcify, blockscout,sourcify ")).to.deep.equal([
      "sourcify",
      "blockscout",
    ]);
    expect(() => verificationProviders("etherscan,polygonscan")).to.throw(
      'VERIFY_PROVIDERS: unknown explorer "polygonscan" (known: etherscan, blockscout, sourcify)',
    );
  });

  it("names the file and the field when a record is missing or from before constructor arguments were kept", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ra-verify-"));
    try {
      const missing = path.join(dir, "sepolia.json");
      await expectRejection(readDeployment(missing), `no deployment record at ${missing}`);
      const { constructorArgs: _dropped, ...oldVault } = sepoliaRecord([]).vault;
      const old = path.join(dir, "old.json");
      writeFileSync(old, JSON.stringify({ ...sepoliaRecord([]), vault: oldVault }));
      await expectRejection(
        readDeployment(old),
        `${old} is not a deployment record this version writes: vault.constructorArgs`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("verify: the script (npm run verify -- --network <name>)", function () {
  // Each case starts Hardhat in a child process.
  this.timeout(120_000);
  let dir = "";

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ra-verify-script-"));
    writeFileSync(path.join(dir, "sepolia.json"), JSON.stringify(sepoliaRecord([MOCK_TOKEN])));
    writeFileSync(
      path.join(dir, "custom.json"),
      JSON.stringify({ ...sepoliaRecord([]), network: "custom", chainId: 31337 }),
    );
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  const verify = (args: string[], env: Record<string, string> = {}) => {
    const base: NodeJS.ProcessEnv = { ...process.env, DEPLOYMENTS_DIR: dir, CI: "true" };
    // CI: never fall back to a developer's keystore (it would prompt for its password).
    for (const name of ["ETHERSCAN_API_KEY", "VERIFY_PROVIDERS", "VERIFY_DRY_RUN", "SEPOLIA_RPC_URL"]) {
      delete base[name];
    }
    // --no-compile: the checks under test need no artifacts, and the suite's own build is left alone.
    return runScript(["hardhat", "run", "--no-compile", "scripts/verify.ts", ...args], { ...base, ...env });
  };

  it("asks for --network when none is given", async () => {
    const { code, stderr } = await verify([]);
    expect(code).to.equal(1);
    expect(stderr).to.contain(
      "verify: name the network the contracts are on: npm run verify -- --network <name>",
    );
  });

  it("fails with one clear line when the network has no deployment record", async () => {
    const { code, stderr } = await verify(["--network", "baseSepolia"]);
    expect(code).to.equal(1);
    expect(stderr).to.contain(
      `verify: no deployment record at ${path.join(dir, "baseSepolia.json")}: deploy first (npm run deploy -- --network <name>)`,
    );
  });

  it("fails with one clear line when ETHERSCAN_API_KEY is neither in the environment nor in the keystore", async () => {
    const { code, stderr } = await verify(["--network", "sepolia"]);
    expect(code).to.equal(1);
    expect(stderr).to.contain(
      "verify: ETHERSCAN_API_KEY is not set: export it or store it with `npx hardhat keystore set ETHERSCAN_API_KEY`",
    );
  });

  it("refuses the local chain: no explorer indexes it", async () => {
    const { code, stderr } = await verify(["--network", "custom"], { ETHERSCAN_API_KEY: "x" });
    expect(code).to.equal(1);
    expect(stderr).to.contain("is a deployment on the local chain (31337): no explorer indexes it");
  });

  it("with VERIFY_DRY_RUN prints the requests it would submit, per explorer, and contacts nothing", async () => {
    const { code, stdout, stderr } = await verify(["--network", "sepolia"], {
      ETHERSCAN_API_KEY: "x",
      VERIFY_DRY_RUN: "true",
    });
    expect(code, stderr).to.equal(0);
    const plan = JSON.parse(stdout.slice(stdout.indexOf("{")));
    expect(plan).to.deep.equal({
      network: "sepolia",
      chainId: 11155111,
      providers: ["etherscan", "sourcify"],
      requests: verificationRequests(sepoliaRecord([MOCK_TOKEN])),
    });
  });
});

async function expectRejection(promise: Promise<unknown>, message: string): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error, "expected a rejection").to.be.instanceOf(Error);
  expect((error as Error).message).to.contain(message);
}

function runScript(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops npx and Hardhat together.
    const child = spawn("npx", args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      reject(new Error(`npx ${args.join(" ")} did not finish within 90 s:\n${stdout}\n${stderr}`));
    }, 90_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}
