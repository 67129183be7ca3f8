/**
 * A local HTTP endpoint accepting Sentry envelopes (`POST /api/<project>/envelope/`), for tests: keeps each
 * envelope's raw text (gunzipped when sent compressed) and its items parsed (header line, payload line).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface EnvelopeItem {
  type: string;
  payload: Record<string, unknown>;
}

export interface SentryReceiver {
  /** A DSN whose events come here (project 42). */
  dsn: string;
  /** Every envelope as received (text). */
  raw: string[];
  /** The items of every envelope, in order. */
  items: EnvelopeItem[];
  /** The `event` items only. */
  events(): Record<string, unknown>[];
  /** Resolves once `count` events arrived (or rejects after `timeoutMs`). */
  waitForEvents(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function startSentryReceiver(): Promise<SentryReceiver> {
  const raw: string[] = [];
  const items: EnvelopeItem[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || !/^\/api\/42\/envelope\/?(\?|$)/.test(req.url ?? "")) {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const text = body.toString("utf8");
      raw.push(text);
      // Envelope: a header line, then for each item a header line and a payload line.
      const lines = text.split("\n").filter((line) => line !== "");
      for (let i = 1; i + 1 < lines.length; i += 2) {
        const header = JSON.parse(lines[i] as string) as { type?: string };
        let payload: Record<string, unknown> = {};
        try {
          payload = JSON.parse(lines[i + 1] as string) as Record<string, unknown>;
        } catch {
          payload = { unparsed: lines[i + 1] };
        }
        items.push({ type: header.type ?? "", payload });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const events = () => items.filter((item) => item.type === "event").map((item) => item.payload);
  return {
    dsn: `http://publickey@127.0.0.1:${port}/42`,
    raw,
    items,
    events,
    async waitForEvents(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (events().length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${events().length}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return events();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
