/**
 * Testnet rehearsal: everything a testnet deploy does, against a Hardhat node reached over HTTP JSON-RPC.
 *
 * 1. `npx hardhat node` on a free port (its own process group).
 * 2. `npm run deploy -- --network custom`, exactly as for a testnet: the RPC URL, chain id and deployer key come
 *    in as configuration variables, the deployer key signs locally (the node's unlocked accounts are not used),
 *    oracles and threshold are given explicitly, and the record goes to a temporary DEPLOYMENTS_DIR (the
 *    repository's deployments/ is left alone; abi.ts is only rewritten when the contracts changed).
 * 3. The agent as a child process (`node agent/src/main.ts`) configured from that record, waited for on /health.
 * 4. A user with a wallet over HTTP: signs in with SIWE, posts the rules, stakes ETH on a commitment whose first
 *    window opens seconds later, uploads a GPX run recorded inside that window (and already over: the agent and
 *    the chain both run on real time, so the test waits for the run to end), gets the oracle's attestation and
 *    claims the milestone from the wallet. The owner's balance rises by exactly the milestone's share minus gas,
 *    and the agent's indexer sees the release.
 *
 * No clock is faked anywhere: a testnet does not let anyone move time, so neither does this test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  parseEther,
  parseEventLogs,
  toHex,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { createSiweMessage } from "viem/siwe";
import { commitmentVaultAbi } from "../../deployments/abi.ts";
import { gpx, track } from "./workouts/fixtures.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CHAIN_ID = 31337;

/** Hardhat's public development mnemonic: these keys are for local chains only. */
const MNEMONIC = "test test test test test test test test test test test junk";
function key(index: number): Hex {
  const raw = mnemonicToAccount(MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (raw === null) throw new Error(`no key for account ${index}`);
  return toHex(raw);
}
const DEPLOYER_KEY = key(0);
const ORACLE_KEY = key(1); // 0x59c6…690d
const OPERATOR_KEY = key(3);
const user = privateKeyToAccount(key(4));
const beneficiary = privateKeyToAccount(key(5)).address;
const oracle = privateKeyToAccount(ORACLE_KEY).address;

const RULES = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 1, minMinutes: 1, activities: ["run"] },
  evidence: "device",
} as const;
const STAKE = parseEther("1");
const MILESTONES = 2;
const PERIOD_SEC = 3_600; // the vault's minimum
const GRACE_SEC = 600;
/** The run: starts 1 s into the first window, 70 s at 3 m/s (a 1-minute minimum with margin). */
const RUN_OFFSET_SEC = 1;
const RUN_SECONDS = 70;

/** Environment variables a developer may have set that would change what the children do. */
const INHERITED_DEPLOY_VARIABLES = [
  "ADMIN",
  "ORACLES",
  "THRESHOLD",
  "ALLOW_TOKENS",
  "MOCK_USDC",
  "DEPLOYMENTS_DIR",
  "CUSTOM_RPC_URL",
  "CUSTOM_CHAIN_ID",
  "CUSTOM_CHAIN_TYPE",
  "DEPLOYER_PRIVATE_KEY",
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

interface Child {
  name: string;
  process: ChildProcess;
  /** The last 8 kB of stdout and stderr, for the failure message. */
  output(): string;
}

const children: Child[] = [];

/** If mocha itself is stopped (Ctrl-C, a crash), no node or agent is left behind. */
function killAllNow(): void {
  for (const { process: proc } of children) {
    if (proc.pid === undefined || exited(proc)) continue;
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Starts a command in its own process group (so `npx` and what it runs stop together), keeping an output tail. */
function launch(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-8_192);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const entry = { name, process: child, output: () => tail };
  children.push(entry);
  return entry;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stop(child: Child): Promise<void> {
  const { process: proc } = child;
  if (proc.pid === undefined || exited(proc)) return;
  const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(proc.pid as number), name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timedOut = await Promise.race([
    gone.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 10_000).unref()),
  ]);
  if (timedOut) {
    signal("SIGKILL");
    await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }
}

/** Runs a command to completion within `timeoutMs`; rejects with its output when it fails. */
async function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  const child = launch(name, command, args, env);
  const code = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), timeoutMs);
    child.process.once("exit", (exitCode, signal) => {
      clearTimeout(timer);
      resolve(exitCode ?? signal ?? "unknown");
    });
  });
  if (code !== 0) {
    await stop(child);
    const why = code === "timeout" ? `did not finish within ${timeoutMs / 1000} s` : `exited with ${code}`;
    throw new Error(`${name} ${why}:\n${child.output()}`);
  }
  return child.output();
}

/** Polls `check` every 250 ms until it returns a value; fails after `timeoutMs` or when `child` exits. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  child?: Child,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child !== undefined && exited(child.process)) {
      throw new Error(`${child.name} exited while waiting for ${what}:\n${child.output()}`);
    }
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs / 1000} s${child ? `\n${child.output()}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function sleepUntil(ms: number): Promise<void> {
  const wait = ms - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

describe("testnet rehearsal: deploy over JSON-RPC, then one claim settled through the agent", function () {
  // Node, deploy and agent start (~30 s on a slow machine), then a 70-second run recorded in real time.
  this.timeout(300_000);

  let workDir = "";
  let deploymentsDir = "";
  let rpcUrl = "";
  let agentUrl = "";
  let record: {
    network: string;
    chainId: number;
    vault: { address: Address; deploymentBlock: number; constructorArgs: [string, string[], number] };
    deployer: Address;
    oracles: Address[];
    threshold: number;
    tokens: { address: Address; symbol: string; mock: boolean }[];
  };
  let agent: Child;

  const baseEnv = (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    for (const name of INHERITED_DEPLOY_VARIABLES) delete env[name];
    return env;
  };

  before(async () => {
    process.once("exit", killAllNow);
    workDir = mkdtempSync(path.join(tmpdir(), "ra-rehearsal-"));
    deploymentsDir = path.join(workDir, "deployments");
    const chainPort = await freePort();
    rpcUrl = `http://127.0.0.1:${chainPort}`;
    const node = launch(
      "hardhat node",
      "npx",
      ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(chainPort)],
      baseEnv(),
    );
    await waitFor(
      `the Hardhat node on ${rpcUrl}`,
      async () => {
        const res = await fetch(rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
          signal: AbortSignal.timeout(2_000),
        });
        return res.ok ? true : undefined;
      },
      90_000,
      node,
    );

    await run(
      "npm run deploy -- --network custom",
      "npm",
      ["run", "deploy", "--", "--network", "custom"],
      {
        ...baseEnv(),
        CUSTOM_RPC_URL: rpcUrl,
        CUSTOM_CHAIN_ID: String(CHAIN_ID),
        DEPLOYER_PRIVATE_KEY: DEPLOYER_KEY,
        ORACLES: oracle,
        THRESHOLD: "1",
        MOCK_USDC: "true",
        DEPLOYMENTS_DIR: deploymentsDir,
      },
      180_000,
    );
    record = JSON.parse(readFileSync(path.join(deploymentsDir, "custom.json"), "utf8"));

    const agentPort = await freePort();
    agentUrl = `http://127.0.0.1:${agentPort}`;
    agent = launch("agent", process.execPath, ["agent/src/main.ts"], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: "127.0.0.1",
      PORT: String(agentPort),
      INTERNAL_PORT: "0", // any free port: PORT + 1 may be taken
      PUBLIC_ORIGIN: "http://127.0.0.1:5173",
      CHAIN_ID: String(record.chainId),
      RPC_URL: rpcUrl,
      VAULT_ADDRESS: record.vault.address,
      VAULT_DEPLOYMENT_BLOCK: String(record.vault.deploymentBlock),
      ORACLE_PRIVATE_KEY: ORACLE_KEY,
      OPERATOR_PRIVATE_KEY: OPERATOR_KEY,
      DATA_DIR: path.join(workDir, "agent-data"),
      INDEXER_POLL_INTERVAL_MS: "500",
      // Real time, as on a testnet (CLOCK_SOURCE=chain exists for local chains whose time is moved by hand).
      CLOCK_SOURCE: "system",
      LOG_LEVEL: "info",
    });
    await waitFor(
      `the agent's ${agentUrl}/health`,
      async () =>
        (await fetch(`${agentUrl}/health`, { signal: AbortSignal.timeout(2_000) })).ok ? true : undefined,
      120_000,
      agent,
    );
  });

  after(async () => {
    // The agent first (it stops following the chain), then the node; each in its own process group.
    for (const child of [...children].reverse()) await stop(child);
    process.off("exit", killAllNow);
    if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
  });

  it("records the deployment: chain id, addresses, block, deployer, oracle set, threshold, tokens", () => {
    const deployer = privateKeyToAccount(DEPLOYER_KEY).address;
    expect(record.network).to.equal("custom");
    expect(record.chainId).to.equal(CHAIN_ID);
    expect(record.vault.address).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(record.vault.deploymentBlock).to.be.greaterThan(0);
    expect(record.deployer).to.equal(deployer);
    expect(record.oracles).to.deep.equal([oracle]);
    expect(record.threshold).to.equal(1);
    expect(record.vault.constructorArgs).to.deep.equal([deployer, [oracle], 1]);
    expect(record.tokens.map((t) => [t.symbol, t.mock])).to.deep.equal([["USDC", true]]);
  });

  it("settles milestone 0 of an ETH commitment: SIWE, rules, GPX upload, attestation, claim from the wallet", async () => {
    const chain = { ...hardhat, id: CHAIN_ID };
    const client = createPublicClient({ chain, transport: http(rpcUrl, { retryCount: 0 }) });
    const wallet = createWalletClient({ account: user, chain, transport: http(rpcUrl, { retryCount: 0 }) });
    const vault = record.vault.address;

    const api = async (method: string, route: string, init: { cookie?: string; body?: unknown } = {}) => {
      const res = await fetch(`${agentUrl}${route}`, {
        method,
        headers: {
          ...(init.body !== undefined && !(init.body instanceof FormData)
            ? { "content-type": "application/json" }
            : {}),
          ...(init.cookie !== undefined ? { cookie: init.cookie } : {}),
        },
        ...(init.body === undefined
          ? {}
          : { body: init.body instanceof FormData ? init.body : JSON.stringify(init.body) }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text for the failure message
      }
      return { status: res.status, body: body as Record<string, unknown>, headers: res.headers };
    };
    const expectStatus = (res: { status: number; body: unknown }, status: number, what: string) => {
      expect(res.status, `${what}: ${JSON.stringify(res.body)}\n${agent.output()}`).to.equal(status);
    };

    // Sign in with Ethereum, the way the web app does.
    const nonce = await api("POST", "/api/auth/nonce");
    expectStatus(nonce, 200, "nonce");
    const { domain, uri } = nonce.body as { domain: string; uri: string };
    const message = createSiweMessage({
      address: user.address,
      chainId: CHAIN_ID,
      domain,
      nonce: String(nonce.body.nonce),
      uri,
      version: "1",
      issuedAt: new Date(),
    });
    const verify = await api("POST", "/api/auth/verify", {
      body: { message, signature: await user.signMessage({ message }) },
    });
    expectStatus(verify, 200, "sign-in");
    const cookie = verify.headers
      .getSetCookie()
      .find((c) => c.startsWith("ra_session="))
      ?.split(";")[0];
    expect(cookie, "session cookie").to.be.a("string");

    // The rules document the stake commits to.
    const rules = await api("POST", "/api/rules", { cookie, body: { rules: RULES } });
    expectStatus(rules, 200, "rules");
    const rulesHash = rules.body.rulesHash as Hex;

    // The stake: the first window opens a few seconds from now on the chain's clock (the vault wants start >= now).
    const latest = Number((await client.getBlock({ blockTag: "latest" })).timestamp);
    const start = Math.max(latest + 1, Math.ceil(Date.now() / 1000)) + 3;
    const createHash = await wallet.writeContract({
      address: vault,
      abi: commitmentVaultAbi,
      functionName: "createCommitment",
      args: [
        {
          token: "0x0000000000000000000000000000000000000000",
          amount: STAKE,
          start: BigInt(start),
          period: PERIOD_SEC,
          milestones: MILESTONES,
          grace: GRACE_SEC,
          beneficiary,
          rulesHash,
        },
      ],
      value: STAKE,
    });
    const created = await client.waitForTransactionReceipt({ hash: createHash, timeout: 30_000 });
    expect(created.status).to.equal("success");
    const [event] = parseEventLogs({
      abi: commitmentVaultAbi,
      logs: created.logs,
      eventName: "CommitmentCreated",
    });
    if (event === undefined) throw new Error("no CommitmentCreated event");
    const id = event.args.id;
    const share = await client.readContract({
      address: vault,
      abi: commitmentVaultAbi,
      functionName: "milestoneAmount",
      args: [id, 0n],
    });
    expect(share).to.equal(STAKE / BigInt(MILESTONES));

    // The agent's indexer picks the commitment up from the node.
    await waitFor(
      `commitment ${id} in the agent's list`,
      async () => {
        const list = await api("GET", "/api/commitments", { cookie });
        const ids = (list.body.commitments as { id: string }[] | undefined)?.map((c) => c.id) ?? [];
        return ids.includes(id.toString()) ? true : undefined;
      },
      30_000,
      agent,
    );

    // The run, recorded inside the first window; uploaded once it is over (nothing here comes from the future).
    const runStartMs = (start + RUN_OFFSET_SEC) * 1000;
    const file = gpx({
      type: "running",
      segments: [track({ start: runStartMs, seconds: RUN_SECONDS, speedMps: 3, heartRate: 150 })],
    });
    await sleepUntil(runStartMs + RUN_SECONDS * 1000 + 1_000);
    const form = new FormData();
    form.append("file", new Blob([file], { type: "application/gpx+xml" }), "morning-run.gpx");
    const upload = await api("POST", "/api/workouts/upload", { cookie, body: form });
    expectStatus(upload, 201, "upload");
    const [workout] = upload.body.workouts as {
      sport: string;
      verdict: { status: string; countsFor: { commitmentId: string; milestoneIndex: number }[] };
    }[];
    expect(workout?.sport).to.equal("run");
    expect(workout?.verdict.status).to.equal("accepted");
    expect(workout?.verdict.countsFor).to.deep.equal([{ commitmentId: id.toString(), milestoneIndex: 0 }]);

    // The oracle's signature for milestone 0.
    const attestation = await api("POST", `/api/commitments/${id}/milestones/0/attestation`, {
      cookie,
      body: {},
    });
    expectStatus(attestation, 200, "attestation");
    const { evidenceHash, validUntil, signer, signature } = attestation.body as {
      evidenceHash: Hex;
      validUntil: number;
      signer: Address;
      signature: Hex;
    };
    expect(signer).to.equal(oracle);
    expect(validUntil).to.equal(start + PERIOD_SEC + GRACE_SEC - 1);

    // The claim, from the owner's wallet: the share arrives, less the gas the owner paid.
    const before = await client.getBalance({ address: user.address });
    const claimHash = await wallet.writeContract({
      address: vault,
      abi: commitmentVaultAbi,
      functionName: "claimMilestone",
      args: [id, 0n, evidenceHash, BigInt(validUntil), [signature]],
    });
    const claimed = await client.waitForTransactionReceipt({ hash: claimHash, timeout: 30_000 });
    expect(claimed.status).to.equal("success");
    const after = await client.getBalance({ address: user.address, blockNumber: claimed.blockNumber });
    expect(after - before).to.equal(share - claimed.gasUsed * claimed.effectiveGasPrice);
    expect(
      await client.readContract({
        address: vault,
        abi: commitmentVaultAbi,
        functionName: "milestoneState",
        args: [id, 0n],
      }),
    ).to.equal(1); // Released

    // The agent's indexer sees the release.
    await waitFor(
      `milestone 0 of commitment ${id} released in the agent's view`,
      async () => {
        const view = await api("GET", `/api/commitments/${id}`, { cookie });
        const milestones = view.body.milestones as { state: string }[] | undefined;
        return milestones?.[0]?.state === "Released" ? true : undefined;
      },
      30_000,
      agent,
    );
  });

  it("verify refuses a record whose chain the RPC does not serve, before contacting any explorer", async () => {
    // The rehearsal record under a chain id the node does not serve: verify must notice before anything else.
    const otherDir = path.join(workDir, "wrong-chain");
    rmSync(otherDir, { recursive: true, force: true });
    const json = JSON.parse(readFileSync(path.join(deploymentsDir, "custom.json"), "utf8"));
    json.chainId = 11155111;
    mkdirSync(otherDir, { recursive: true });
    writeFileSync(path.join(otherDir, "custom.json"), JSON.stringify(json));
    const failure = await run(
      "npm run verify -- --network custom",
      "npm",
      ["run", "verify", "--", "--network", "custom"],
      {
        ...baseEnv(),
        CUSTOM_RPC_URL: rpcUrl,
        DEPLOYER_PRIVATE_KEY: DEPLOYER_KEY,
        ETHERSCAN_API_KEY: "rehearsal-not-a-key",
        DEPLOYMENTS_DIR: otherDir,
      },
      120_000,
    ).then(
      () => "",
      (error: Error) => error.message,
    );
    expect(failure).to.contain(
      `verify: the RPC of network custom serves chain ${CHAIN_ID}, but ${path.join(otherDir, "custom.json")} is for chain 11155111`,
    );
  });
});
