/**
 * The agent, in this process: the real wiring (`assembleAgent`) from a config parsed like `main.ts` parses it,
 * listening on a free port, with a clock that follows the CHAIN's time (the demo travels through weeks in
 * seconds, and the agent judges workouts and windows by its clock). Its background loops are not started: the
 * demo runs the indexer, the keeper and the coach itself, one step at a time. Plus a small HTTP client that
 * signs people in with SIWE and keeps their session cookie.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Hex } from "viem";
import { createSiweMessage } from "viem/siwe";
import { type AssembleAgentReturnType, assembleAgent } from "../../agent/src/assembleAgent.ts";
import { ManualClock } from "../../agent/src/clock.ts";
import { type LogLevel, loadConfig } from "../../agent/src/config.ts";
import { startServer } from "../../agent/src/http/startServer.ts";
import { createLogger } from "../../agent/src/logger.ts";
import type { Cleanup } from "./cleanup.ts";
import type { DemoAccount, DemoChain } from "./demoChain.ts";

export interface DemoAgent {
  agent: AssembleAgentReturnType;
  /** `http://127.0.0.1:port`. */
  url: string;
  /** The agent's clock: set to the latest block's time by `syncClock`. */
  clock: ManualClock;
  /** Sets the agent's clock to the latest block's timestamp. */
  syncClock(): Promise<void>;
}

export interface StartDemoAgentParameters {
  chain: DemoChain;
  /** The agent's log level; its lines go to standard error. */
  logLevel: LogLevel;
  /** Where the temporary store, the agent and its server register their closers. */
  cleanup: Cleanup;
}

/** Thirty days: the story spans more than a week of chain time, so the default day-long session would expire. */
const SESSION_TTL_SECONDS = 30 * 86_400;

export async function startDemoAgent({
  chain,
  logLevel,
  cleanup,
}: StartDemoAgentParameters): Promise<DemoAgent> {
  const { accounts } = chain;
  const dataDir = await mkdtemp(path.join(tmpdir(), "resolution-autopilot-demo-"));
  cleanup.defer("agent's temporary store", () => rm(dataDir, { recursive: true, force: true }));
  const clock = new ManualClock((await chain.latestTimestamp()) * 1000);
  const config = loadConfig({
    CHAIN_ID: String(chain.chainId),
    RPC_URL: chain.rpcUrl,
    VAULT_ADDRESS: chain.vault,
    VAULT_DEPLOYMENT_BLOCK: String(chain.deploymentBlock),
    CHALLENGE_POOL_ADDRESS: chain.pool,
    CHALLENGE_POOL_DEPLOYMENT_BLOCK: String(chain.poolDeploymentBlock),
    ORACLE_PRIVATE_KEY: accounts.oracle.privateKey,
    OPERATOR_PRIVATE_KEY: accounts.operator.privateKey,
    KEEPER_ENABLED: "true",
    // The gasless relayer, as in `npm start` (the demo runs no background loop: nothing is claimed behind its back).
    RELAYER_ENABLED: "true",
    DATA_DIR: dataDir,
    SESSION_TTL_SECONDS: String(SESSION_TTL_SECONDS),
    COACH_TOKENS: `${chain.usdc}:USDC:6`,
    LOG_LEVEL: logLevel,
  });
  const logger = createLogger({
    level: config.logLevel,
    destination: process.stderr,
    base: { service: "agent" },
  });
  const agent = await assembleAgent({ config, clock, logger });
  cleanup.defer("agent", () => agent.close());
  const server = await startServer({ app: agent.app, config, logger, port: 0 });
  cleanup.defer("agent's HTTP server", () => server.close(2_000));
  return {
    agent,
    url: server.url,
    clock,
    async syncClock() {
      clock.set((await chain.latestTimestamp()) * 1000);
    },
  };
}

/** An HTTP answer: the status and the body (parsed JSON, or the text). */
export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** A problem document (RFC 9457) as the agent sends it. */
export interface Problem {
  code?: string;
  title?: string;
  detail?: string;
}

export class ApiStatusError extends Error {}

/** Someone signed in to the agent: every request carries their session cookie. */
export class AgentSession {
  readonly who: DemoAccount;
  readonly #baseUrl: string;
  readonly #cookie: string;

  constructor(baseUrl: string, who: DemoAccount, cookie: string) {
    this.#baseUrl = baseUrl;
    this.who = who;
    this.#cookie = cookie;
  }

  get<T>(route: string): Promise<ApiResponse<T>> {
    return this.#request<T>("GET", route);
  }

  post<T>(route: string, body: unknown = {}): Promise<ApiResponse<T>> {
    return this.#request<T>("POST", route, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  /** `POST` multipart with one field `file`. */
  upload<T>(route: string, fileName: string, bytes: Uint8Array): Promise<ApiResponse<T>> {
    const form = new FormData();
    form.append("file", new Blob([bytes]), fileName);
    return this.#request<T>("POST", route, { body: form });
  }

  async #request<T>(
    method: string,
    route: string,
    init: { headers?: Record<string, string>; body?: string | FormData } = {},
  ): Promise<ApiResponse<T>> {
    const res = await fetch(`${this.#baseUrl}${route}`, {
      method,
      headers: { ...init.headers, cookie: this.#cookie },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    return { status: res.status, body: (await readBody(res)) as T };
  }
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!/json/.test(res.headers.get("content-type") ?? "")) return text;
  return text === "" ? null : (JSON.parse(text) as unknown);
}

/** The body when the status is the one expected; otherwise an error naming the route, status and problem. */
export function expectStatus<T>(response: ApiResponse<T>, status: number, what: string): T {
  if (response.status !== status) {
    const problem = response.body as Problem | string | null;
    const why =
      typeof problem === "object" && problem !== null
        ? `${problem.code ?? problem.title ?? ""}: ${problem.detail ?? ""}`
        : String(problem).slice(0, 300);
    throw new ApiStatusError(`${what}: expected HTTP ${status}, got ${response.status} (${why})`);
  }
  return response.body;
}

/** Signs `who` in through the real SIWE routes (nonce → EIP-4361 message signed by the wallet → verify). */
export async function signIn(agent: DemoAgent, who: DemoAccount): Promise<AgentSession> {
  const nonceRes = await fetch(`${agent.url}/api/auth/nonce`, { method: "POST" });
  const { nonce, domain, uri, chainId } = expectStatus(
    {
      status: nonceRes.status,
      body: (await readBody(nonceRes)) as { nonce: string; domain: string; uri: string; chainId: number },
    },
    200,
    "POST /api/auth/nonce",
  );
  const message = createSiweMessage({
    address: who.address,
    chainId,
    domain,
    nonce,
    uri,
    version: "1",
    issuedAt: new Date(agent.clock.now()),
  });
  const signature: Hex = await who.account.signMessage({ message });
  const res = await fetch(`${agent.url}/api/auth/verify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message, signature }),
  });
  expectStatus({ status: res.status, body: await readBody(res) }, 200, "POST /api/auth/verify");
  const cookie = res.headers.getSetCookie()[0]?.split(";")[0];
  if (cookie === undefined || cookie === "") throw new Error("POST /api/auth/verify set no session cookie");
  return new AgentSession(agent.url, who, cookie);
}
