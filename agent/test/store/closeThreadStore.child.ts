/**
 * Run as a child process by pgliteThread.test.ts: a thread client over a stand-in worker whose `terminate()`, like a
 * real worker being terminated, keeps nothing in the event loop alive (here: an unreferenced timer). Prints `closed`
 * once close() resolved. Without close() holding the loop itself, the process ends first (exit code 13, nothing
 * printed), as the HTTP bench's did in one run of three to six.
 */
import { EventEmitter } from "node:events";
import type { Worker } from "node:worker_threads";
import { connectThreadClient } from "../../src/store/pgliteThread/threadClient.ts";

class TerminatingWorker extends EventEmitter {
  ref(): void {}
  unref(): void {}
  postMessage(message: { id: number; op: string }): void {
    // The close is answered on the next turn, as the real thread's answer arrives.
    setImmediate(() => this.emit("message", { id: message.id, ok: true, value: undefined }));
  }
  terminate(): Promise<number> {
    return new Promise((resolve) => {
      setTimeout(() => {
        this.emit("exit", 1);
        resolve(1);
      }, 50).unref();
    });
  }
}

const client = connectThreadClient(new TerminatingWorker() as unknown as Worker);
await client.close();
process.stdout.write("closed\n");
