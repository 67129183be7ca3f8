/**
 * An HTTP JSON-RPC gate in front of the Hardhat node. Everything that talks to the chain goes through it (the
 * load generator directly, the agents through their fault proxy), so a reorg can (1) hold every request while it
 * rewrites the chain and (2) replay the state-changing calls that were accepted since its snapshot.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { listenLocal } from "./listenLocal.ts";

/** Calls that change the chain's state and must be replayed after an `evm_revert` (in their original order). */
const REPLAYED_METHODS = new Set([
  "eth_sendRawTransaction",
  "eth_sendTransaction",
  "hardhat_setBalance",
  "hardhat_setNonce",
  "hardhat_setCode",
  "hardhat_setStorageAt",
  "evm_increaseTime",
  "evm_setNextBlockTimestamp",
  "evm_mine",
  "hardhat_mine",
]);

export interface RecordedCall {
  method: string;
  params: unknown[];
}

export interface RpcGate {
  url: string;
  port: number;
  /** Starts recording the accepted state-changing calls (forgetting earlier ones). */
  startRecording(): void;
  /** Stops recording and returns the calls, oldest first. */
  stopRecording(): RecordedCall[];
  /** New requests wait; resolves once the requests already forwarded have been answered. */
  hold(): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

interface JsonRpcRequest {
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startRpcGate(upstream: { host: string; port: number }): Promise<RpcGate> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let recording: RecordedCall[] | undefined;
  let held: { promise: Promise<void>; release: () => void } | undefined;
  let inFlight = 0;
  let idle: (() => void)[] = [];
  const settle = () => {
    inFlight--;
    if (inFlight === 0) {
      for (const wake of idle) wake();
      idle = [];
    }
  };

  const forward = (body: Buffer, headers: Record<string, string>) =>
    new Promise<{ status: number; body: Buffer; contentType: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: upstream.host, port: upstream.port, method: "POST", path: "/", agent, headers },
        (res) => {
          readBody(res).then(
            (buffer) =>
              resolve({
                status: res.statusCode ?? 502,
                body: buffer,
                contentType: String(res.headers["content-type"] ?? "application/json"),
              }),
            reject,
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  const record = (sent: JsonRpcRequest[], answers: unknown) => {
    if (recording === undefined) return;
    const list = Array.isArray(answers) ? answers : [answers];
    for (const call of sent) {
      if (typeof call.method !== "string" || !REPLAYED_METHODS.has(call.method)) continue;
      const answer = list.find(
        (a): a is { id?: unknown; error?: unknown } =>
          typeof a === "object" && a !== null && (a as { id?: unknown }).id === call.id,
      );
      if (answer === undefined || answer.error !== undefined) continue;
      recording.push({ method: call.method, params: Array.isArray(call.params) ? call.params : [] });
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      while (held !== undefined) await held.promise;
      inFlight++;
      try {
        let sent: JsonRpcRequest[] = [];
        try {
          const parsed = JSON.parse(body.toString("utf8")) as unknown;
          sent = (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcRequest[];
        } catch {
          // not JSON: forwarded as is, the node answers the parse error
        }
        const answer = await forward(body, { "content-type": "application/json" });
        if (recording !== undefined && answer.status === 200) {
          try {
            record(sent, JSON.parse(answer.body.toString("utf8")));
          } catch {
            // an answer that is not JSON changed nothing
          }
        }
        res.writeHead(answer.status, { "content-type": answer.contentType });
        res.end(answer.body);
      } catch {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("the chain does not answer");
      } finally {
        settle();
      }
    })().catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  const port = await listenLocal(server, "the RPC gate");
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    startRecording() {
      recording = [];
    },
    stopRecording() {
      const calls = recording ?? [];
      recording = undefined;
      return calls;
    },
    async hold() {
      if (held === undefined) {
        let release = () => {};
        const promise = new Promise<void>((resolve) => {
          release = resolve;
        });
        held = { promise, release };
      }
      if (inFlight > 0) await new Promise<void>((resolve) => idle.push(resolve));
    },
    release() {
      const current = held;
      held = undefined;
      current?.release();
    },
    close: () =>
      new Promise<void>((resolve) => {
        held?.release();
        held = undefined;
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
