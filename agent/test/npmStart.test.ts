/**
 * Smoke test of `npm start` (scripts/start.ts), run twice as a person would: it must print the URLs, the chain
 * id and the two funded local accounts; the web app, the agent and the chain must answer at those URLs; Ctrl-C
 * (SIGINT) must stop everything with exit code 0 and free the ports, so that running it again works.
 *
 * It runs on free ports with its own agent store, and puts back deployments/localhost.json afterwards (the
 * developer's file, which npm start rewrites).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DEPLOYMENT = path.join(ROOT, "deployments/localhost.json");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function answers(url: string, init?: RequestInit): Promise<Response | undefined> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(3_000) });
  } catch {
    return undefined;
  }
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** Starts `node scripts/start.ts` and resolves once it has printed its banner (or rejects with its output). */
async function start(env: Record<string, string>, timeoutMs: number): Promise<Started> {
  const child = spawn(process.execPath, ["scripts/start.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const deadline = Date.now() + timeoutMs;
  while (!output.includes("Ctrl-C stops everything.")) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGINT");
      throw new Error(`npm start printed no banner within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { child, output: () => output };
}

async function stop(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGINT");
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs));
  const result = await Promise.race([exited, timer]);
  if (result === "timeout") {
    child.kill("SIGKILL");
    throw new Error(`npm start did not stop within ${timeoutMs} ms of SIGINT`);
  }
  return result;
}

describe("npm start (smoke)", function () {
  this.timeout(420_000);

  const saved = existsSync(DEPLOYMENT) ? readFileSync(DEPLOYMENT) : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "ra-start-"));

  after(() => {
    if (saved === undefined) rmSync(DEPLOYMENT, { force: true });
    else writeFileSync(DEPLOYMENT, saved);
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const run of ["first", "second"]) {
    it(`serves the app, the agent and the chain, and stops cleanly on Ctrl-C (${run} run)`, async () => {
      const ports = {
        chain: await freePort(),
        agent: await freePort(),
        internal: await freePort(),
        web: await freePort(),
      };
      const { child, output } = await start(
        {
          CHAIN_PORT: String(ports.chain),
          AGENT_PORT: String(ports.agent),
          AGENT_INTERNAL_PORT: String(ports.internal),
          WEB_PORT: String(ports.web),
          START_DATA_DIR: dataDir,
        },
        240_000,
      );
      try {
        const banner = output();
        const webUrl = `http://127.0.0.1:${ports.web}`;
        const agentUrl = `http://127.0.0.1:${ports.agent}`;
        const rpcUrl = `http://127.0.0.1:${ports.chain}`;
        expect(banner).to.include(`web app   ${webUrl}`);
        expect(banner).to.include(`agent     ${agentUrl}`);
        expect(banner).to.include(`chain     ${rpcUrl}  (chain id 31337)`);
        expect(banner).to.match(/vault {5}0x[0-9a-fA-F]{40}/);
        expect(banner.match(/key {5}0x[0-9a-f]{64}/g) ?? []).to.have.length(2);
        expect(banner).to.include("LOCAL ONLY");

        const page = await answers(webUrl);
        expect(page?.status).to.equal(200);
        expect(await page?.text()).to.match(/<div id="root">/);
        // Deep health is on the internal listener; the public port refuses it.
        expect((await answers(`${agentUrl}/health?deep=1`))?.status).to.equal(404);
        const health = await answers(`http://127.0.0.1:${ports.internal}/health?deep=1`);
        expect(health?.status).to.equal(200);
        const report = (await health?.json()) as { checks: Record<string, { status: string }> };
        expect(report.checks.rpc?.status).to.equal("ok");
        const rpc = await answers(rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        });
        expect(rpc?.status).to.equal(200);
        expect(((await rpc?.json()) as { result?: string } | undefined)?.result).to.equal("0x7a69");
      } finally {
        expect(await stop(child, 30_000)).to.equal(0);
      }
      // Everything it started is gone: the ports answer no more.
      const deadline = Date.now() + 15_000;
      let still: string[] = [];
      do {
        still = [];
        for (const [name, port] of Object.entries(ports)) {
          if ((await answers(`http://127.0.0.1:${port}/`)) !== undefined) still.push(name);
        }
        if (still.length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      } while (still.length > 0 && Date.now() < deadline);
      expect(still, "still answering after Ctrl-C").to.deep.equal([]);
    });
  }
});
