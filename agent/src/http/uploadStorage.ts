/**
 * A multer storage engine that keeps the uploaded file in memory, copying each chunk into one buffer as it
 * arrives instead of joining every chunk at the end (multer's `memoryStorage` calls `Buffer.concat` once the
 * file is complete).
 *
 * Why: a 25 MiB file joined at the end is one ~25 MiB copy into freshly mapped memory on the event loop, which
 * stalled every other request for 80-100 ms on the reference machine (page faults are dear there). Copied chunk
 * by chunk, the same work is spread over the chunks as they arrive (~64 KiB each).
 *
 * The buffer is allocated once, never grown: `Content-Length` bytes when the request declares fewer than the
 * limit (a body above the limit is refused before it is read), otherwise the limit plus one byte (busboy hands
 * over one byte past `maxBytes` before it reports the file too large; anything past that is counted, not kept,
 * and the file is refused). `Buffer.allocUnsafeSlow` maps the memory without touching it, so a chunked upload or
 * a client that declares more than it sends costs resident memory only for what arrived (the reserved size
 * still counts in V8's external-memory accounting). The buffer is this file's alone, not from Node's shared pool,
 * so the upload owns its `ArrayBuffer` and may move it to a worker thread instead of copying it
 * (`UploadedFile.ownsBuffer`); the bytes past the file's end are never read.
 *
 * With an `UploadBufferPool` (when uploads go to the parse workers), the buffer is a slot of the pool's shared
 * memory instead, reused from upload to upload (uploadBufferPool.ts says why); the upload holds its slot until
 * its response is closed, and an upload that finds no free slot gets a buffer of its own as above.
 *
 * **Paced**: after every `paceBytes` (default `UPLOAD_PACE_BYTES`) of a file, its stream is paused until the event
 * loop's next turn (`setImmediate`). Without it, a client that sends faster than the agent receives leaves
 * megabytes queued in the socket, and libuv reads up to 32 × 64 KiB from one socket per turn of the loop: four
 * big uploads were ~8 MiB of multipart parsing and copying between two turns, 10-30 ms in which `/health` and
 * every other request waited (docs/performance.md). The pause goes back to the socket through each stream's own
 * backpressure (busboy holds its write callback, `req.pipe` pauses the request, Node's HTTP parser stops reading
 * the socket), so each upload receives about `paceBytes` per turn while other requests are served in between. The
 * count is of bytes since the last pause, not per turn: a slow upload also waits one turn every `paceBytes`, which
 * costs it nothing measurable.
 */
import type { Request } from "express";
import type multer from "multer";
import type { UploadBufferLease, UploadBufferPool } from "./uploadBufferPool.ts";

interface StoredFile {
  buffer: Buffer;
  size: number;
  /** The pool slot `buffer` is in, when it is one (uploadBufferPool.ts); readers hold it through the lease. */
  lease: UploadBufferLease | undefined;
  /**
   * The buffer is this file's alone (see the module comment): the upload may move it to a worker. False for a
   * slot of the pool's shared memory (shared with the workers, never moved).
   */
  ownsBuffer: boolean;
}

/**
 * Bytes of one file received before its stream waits for the event loop's next turn (see the module comment): four
 * uploads then do about 1 MiB of receiving between two turns instead of up to 8 MiB.
 */
export const UPLOAD_PACE_BYTES = 256 * 1024;

/** Chunks copied into one buffer allocated up front; bytes past its capacity are counted and dropped. */
export class ChunkAccumulator {
  readonly #buffer: Buffer;
  #stored = 0;
  #received = 0;
  #detached = false;

  /**
   * `expectedBytes`: the declared body length, if any (an upper bound of the file's size); `maxBytes`: the
   * largest file accepted. `allocate` is for tests.
   */
  constructor(
    expectedBytes: number | undefined,
    maxBytes: number,
    allocate: (size: number) => Buffer = Buffer.allocUnsafeSlow,
  ) {
    const ceiling = maxBytes + 1;
    const capacity =
      expectedBytes !== undefined && Number.isSafeInteger(expectedBytes) && expectedBytes > 0
        ? Math.min(expectedBytes, ceiling)
        : ceiling;
    this.#buffer = allocate(Math.max(capacity, 1));
  }

  append(chunk: Uint8Array): void {
    this.#received += chunk.length;
    if (this.#detached) return;
    const room = this.#buffer.length - this.#stored;
    if (room <= 0) return;
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.#buffer.set(kept, this.#stored);
    this.#stored += kept.length;
  }

  /**
   * Writes nothing more into the buffer (chunks are still counted): its memory is given back while the body may
   * still be arriving (a pooled slot whose response was closed).
   */
  detach(): void {
    this.#detached = true;
  }

  /** The bytes kept: a view of the first `stored` bytes of a buffer no one else holds. */
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#stored);
  }

  /** Every byte received, kept or not (more than `bytes().length` only for a file that is refused). */
  get length(): number {
    return this.#received;
  }
}

function declaredLength(req: Request): number | undefined {
  const header = req.headers["content-length"];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length > 0 ? length : undefined;
}

/** The upload's slot and the release that also stops writing into it, by request. */
const releases = new WeakMap<object, () => void>();

/**
 * The storage engine: `file.buffer` is a view of a buffer owned by this upload alone, or of a slot of
 * `bufferPool` held until the response is closed. At that moment the upload stops writing into the slot (the body
 * may still be arriving: a timeout answers before it is read), so the next upload's file is never overwritten.
 * A request whose response is already out gets no slot.
 */
export function incrementalMemoryStorage(
  maxBytes: number,
  bufferPool?: UploadBufferPool,
  paceBytes: number = UPLOAD_PACE_BYTES,
): multer.StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const res = (req as Request).res;
      const answered = res === undefined || res.headersSent || res.closed;
      let lease: UploadBufferLease | undefined;
      const allocate = (size: number): Buffer => {
        lease = answered ? undefined : bufferPool?.lease(size);
        return lease?.bytes ?? Buffer.allocUnsafeSlow(size);
      };
      const accumulator = new ChunkAccumulator(declaredLength(req as Request), maxBytes, allocate);
      if (lease !== undefined && res !== undefined) {
        const held = lease;
        const release = () => {
          accumulator.detach();
          held.release();
        };
        releases.set(req, release);
        res.once("close", release);
      }
      const stream = file.stream;
      const resume = () => stream.resume();
      let sinceTurn = 0;
      stream.on("data", (chunk: Buffer) => {
        accumulator.append(chunk);
        sinceTurn += chunk.length;
        if (sinceTurn < paceBytes) return;
        sinceTurn = 0;
        stream.pause();
        setImmediate(resume);
      });
      stream.on("error", (error: Error) => callback(error));
      stream.on("end", () => {
        const stored: StoredFile = {
          buffer: accumulator.bytes(),
          size: accumulator.length,
          ownsBuffer: lease === undefined,
          lease,
        };
        callback(null, stored);
      });
    },
    _removeFile(req, file, callback) {
      // The bytes are only referenced by the file object: dropping the reference frees them (or the slot).
      delete (file as { buffer?: Buffer }).buffer;
      releases.get(req)?.();
      callback(null);
    },
  };
}
