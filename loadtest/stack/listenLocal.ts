/** Starts a stack server (the RPC gate, a TCP proxy) on a free port of 127.0.0.1. */
import type { Server } from "node:net";

/** Listens on a free local port and resolves with it; `what` names the server if it got none. */
export async function listenLocal(server: Server, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error(`${what} has no port`);
  return address.port;
}
