/**
 * A stack with N oracles for the quorum journey (issue 15): a Hardhat node, the vault deployed with N oracles and
 * `threshold`, N agents (each its own ORACLE_PRIVATE_KEY and data directory; `relayerOn` ones also relay claims),
 * the deployment record listing their URLs (`AGENT_URLS` → `agents`), and `vite preview` of a build that reads it.
 *
 * One machine, one host: browsers keep cookies per host, not per port, so N agents on 127.0.0.1 would overwrite
 * one another's session cookie (in production each oracle has a host of its own). Each agent therefore sits behind
 * a small proxy that renames its cookie (`ra_session` ↔ `ra_session_<n>`); everything else passes untouched.
 * Agents can be stopped and started again (same data directory: sessions and uploads survive), to take an oracle
 * down or bring it back with other settings.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mnemonicToAccount } from "viem/accounts";
import { toHex } from "viem";
import { z } from "zod";
import { freePort, REPO_ROOT, run, startDaemon, stopDaemon, WEB_ROOT, waitFor } from "./stack.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const COOKIE = "ra_session";

export interface QuorumStackParameters {
  log: string[];
  /** Hardhat account indexes of the oracles' keys (their order is the deployment's ORACLES order). */
  oracleAccounts: number[];
  threshold: number;
  /** Oracle numbers (1-based) whose agent runs the gasless relayer. */
  relayerOn?: number[];
  /** Hardhat account index of the relayers' operator key. */
  operatorAccount: number;
}

export interface OracleNode {
  /** 1-based. */
  n: number;
  /** What the browser and the deployment record use (the cookie proxy). */
  url: string;
  oracle: `0x${string}`;
  running(): boolean;
  stop(): Promise<void>;
  start(options?: { relayer?: boolean }): Promise<void>;
}

export interface QuorumStack {
  rpcUrl: string;
  webUrl: string;
  vault: `0x${string}`;
  oracles: OracleNode[];
  stop(): Promise<void>;
}

function keyOf(index: number): `0x${string}` {
  const key = mnemonicToAccount(MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (key === null) throw new Error(`no key for account ${index}`);
  return toHex(key);
}

/** Only this agent's cookie goes up, under the agent's own name; its Set-Cookie comes back renamed. */
export function rewriteCookieHeader(header: string | undefined, n: number): string | undefined {
  if (header === undefined) return undefined;
  const mine = `${COOKIE}_${n}=`;
  const kept: string[] = [];
  for (const c of header.split(/;\s*/)) {
    if (c.startsWith(mine)) kept.push(`${COOKIE}=${c.slice(mine.length)}`);
    else if (c !== "" && !c.startsWith(`${COOKIE}=`) && !/^ra_session_\d+=/.test(c)) kept.push(c);
  }
  return kept.length === 0 ? undefined : kept.join("; ");
}

function cookieProxy(n: number, port: number, target: () => number | undefined): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const upstream = target();
    if (upstream === undefined) {
      // The agent is down: close the connection as a dead host would.
      req.socket.destroy();
      return;
    }
    const headers = { ...req.headers };
    const cookie = rewriteCookieHeader(req.headers.cookie, n);
    if (cookie === undefined) delete headers.cookie;
    else headers.cookie = cookie;
    const out = request(
      { host: "127.0.0.1", port: upstream, method: req.method, path: req.url, headers },
      (answer) => {
        const setCookie = answer.headers["set-cookie"]?.map((c) =>
          c.startsWith(`${COOKIE}=`) ? `${COOKIE}_${n}=${c.slice(COOKIE.length + 1)}` : c,
        );
        res.writeHead(answer.statusCode ?? 502, {
          ...answer.headers,
          ...(setCookie ? { "set-cookie": setCookie } : {}),
        });
        answer.pipe(res);
      },
    );
    out.on("error", () => req.socket.destroy());
    req.pipe(out);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok(server));
  });
}

export async function startQuorumStack(p: QuorumStackParameters): Promise<QuorumStack> {
  const { log } = p;
  const [chainPort, webPort] = [await freePort(), await freePort()];
  const rpcUrl = `http://127.0.0.1:${chainPort}`;
  const webUrl = `http://127.0.0.1:${webPort}`;
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const dirs: string[] = [];
  const dist = mkdtempSync(join(tmpdir(), "ra-e2e-quorum-web-"));
  dirs.push(dist);
  const deploymentFile = join(REPO_ROOT, "deployments", "localhost.json");
  const previous = existsSync(deploymentFile) ? readFileSync(deploymentFile) : undefined;
  const restore = () => {
    if (previous === undefined) rmSync(deploymentFile, { force: true });
    else writeFileSync(deploymentFile, previous);
  };
  const oracles: OracleNode[] = [];
  const stop = async () => {
    for (const o of oracles) await o.stop();
    for (const s of servers) await new Promise<void>((ok) => s.close(() => ok()));
    for (const child of children.reverse()) await stopDaemon(child);
    restore();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };

  try {
    const node = startDaemon(
      "chain",
      "npx",
      ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(chainPort)],
      REPO_ROOT,
      {},
      log,
    );
    children.push(node);
    await waitFor(
      "the Hardhat node",
      async () =>
        (
          await fetch(rpcUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
          })
        ).ok,
      90_000,
      node,
    );
    const keys = p.oracleAccounts.map(keyOf);
    const addresses = p.oracleAccounts.map((i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }).address);
    const proxyPorts: number[] = [];
    for (const _ of keys) proxyPorts.push(await freePort());
    const urls = proxyPorts.map((port) => `http://127.0.0.1:${port}`);
    await run("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], {
      cwd: REPO_ROOT,
      env: {
        LOCALHOST_RPC_URL: rpcUrl,
        ORACLES: addresses.join(","),
        THRESHOLD: String(p.threshold),
        AGENT_URLS: urls.join(","),
      },
    });
    const deployment = z
      .object({
        vault: z.object({ address: z.string(), deploymentBlock: z.number() }),
        agents: z.array(z.object({ url: z.string(), oracle: z.string() })),
      })
      .parse(JSON.parse(readFileSync(deploymentFile, "utf8")));
    await run("npx", ["vite", "build", "--outDir", dist, "--emptyOutDir"], {
      cwd: WEB_ROOT,
      env: {
        VITE_AGENT_URL: urls[0],
        VITE_RPC_URL_31337: rpcUrl,
      },
    });
    restore();

    for (const [i, key] of keys.entries()) {
      const n = i + 1;
      const dataDir = mkdtempSync(join(tmpdir(), `ra-e2e-quorum-agent${n}-`));
      dirs.push(dataDir);
      let child: ChildProcess | undefined;
      let port: number | undefined;
      servers.push(
        await cookieProxy(n, proxyPorts[i] as number, () => (child?.exitCode === null ? port : undefined)),
      );
      const start = async (options: { relayer?: boolean } = {}) => {
        const relayer = options.relayer ?? (p.relayerOn ?? []).includes(n);
        port = await freePort();
        child = startDaemon(
          `agent${n}`,
          "node",
          ["agent/src/main.ts"],
          REPO_ROOT,
          {
            PORT: String(port),
            INTERNAL_PORT: "0",
            HOST: "127.0.0.1",
            PUBLIC_ORIGIN: webUrl,
            AGENT_PUBLIC_URL: urls[i],
            // Each agent's sign-in names the agent itself, so one agent's message cannot be replayed at another.
            SIWE_URI: urls[i],
            DATA_DIR: dataDir,
            CHAIN_ID: "31337",
            RPC_URL: rpcUrl,
            CLOCK_SOURCE: "chain",
            VAULT_ADDRESS: deployment.vault.address,
            VAULT_DEPLOYMENT_BLOCK: String(deployment.vault.deploymentBlock),
            ORACLE_PRIVATE_KEY: key,
            INDEXER_POLL_INTERVAL_MS: "500",
            RATE_LIMIT_API_POINTS: "100000",
            LOG_LEVEL: "warn",
            // The journey moves the chain (the agents' clock) days forward: sessions outlive that.
            SESSION_TTL_SECONDS: String(14 * 86_400),
            ...(relayer ? { RELAYER_ENABLED: "true", OPERATOR_PRIVATE_KEY: keyOf(p.operatorAccount) } : {}),
          },
          log,
        );
        const started = child;
        await waitFor(`agent ${n}`, async () => (await fetch(`${urls[i]}/health`)).ok, 60_000, started);
      };
      const node: OracleNode = {
        n,
        url: urls[i] as string,
        oracle: addresses[i] as `0x${string}`,
        running: () => child !== undefined && child.exitCode === null,
        stop: async () => {
          await stopDaemon(child);
          child = undefined;
        },
        start,
      };
      oracles.push(node);
      await start();
    }

    const preview = startDaemon(
      "web",
      "npx",
      ["vite", "preview", "--outDir", dist, "--port", String(webPort), "--strictPort", "--host", "127.0.0.1"],
      WEB_ROOT,
      {},
      log,
    );
    children.push(preview);
    await waitFor("vite preview", async () => (await fetch(webUrl)).ok, 30_000, preview);
    return { rpcUrl, webUrl, vault: deployment.vault.address as `0x${string}`, oracles, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
