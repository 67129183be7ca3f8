/**
 * Serves an EIP-1193 provider (the in-process Hardhat chain) as a JSON-RPC 2.0 endpoint over HTTP on loopback,
 * so an agent assembled from its real config (`RPC_URL`) talks to the test chain over the same protocol as to a
 * node or a testnet RPC. Single requests and batches; errors keep their code and revert data (viem decodes the
 * vault's custom errors from it). Bodies are capped.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface Eip1193 {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface RpcOverHttp {
  url: string;
  close(): Promise<void>;
}

async function answer(provider: Eip1193, call: JsonRpcRequest): Promise<Record<string, unknown>> {
  const id = call.id ?? null;
  if (typeof call.method !== "string") {
    return { jsonrpc: "2.0", id, error: { code: -32600, message: "invalid request" } };
  }
  try {
    const params = Array.isArray(call.params) ? call.params : [];
    const result = await provider.request({ method: call.method, params });
    return { jsonrpc: "2.0", id, result: result ?? null };
  } catch (cause) {
    const error = cause as { code?: unknown; message?: unknown; data?: unknown };
    return {
      jsonrpc: "2.0",
      id,
      error: {
        code: typeof error.code === "number" ? error.code : -32603,
        message: typeof error.message === "string" ? error.message : "internal error",
        ...(error.data === undefined ? {} : { data: error.data }),
      },
    };
  }
}

export async function serveRpcOverHttp(provider: Eip1193): Promise<RpcOverHttp> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      void (async () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(
            JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }),
          );
          return;
        }
        const reply = Array.isArray(body)
          ? await Promise.all(body.map((call) => answer(provider, call as JsonRpcRequest)))
          : await answer(provider, body as JsonRpcRequest);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify(reply, (_key, value: unknown) =>
            typeof value === "bigint" ? `0x${value.toString(16)}` : value,
          ),
        );
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
