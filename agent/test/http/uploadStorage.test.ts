/**
 * The upload storage engine (http/uploadStorage.ts): chunks are copied into one buffer of the upload's own as
 * they arrive, sized from Content-Length or grown when there is none, and the bytes are the file's exactly.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import express, { type ErrorRequestHandler, type Request } from "express";
import { sendErrorProblem } from "../../src/http/errorHandler.ts";
import { uploadedFileOf, uploadFile } from "../../src/http/uploadFile.ts";
import {
  ChunkAccumulator,
  incrementalMemoryStorage,
  UPLOAD_PACE_BYTES,
} from "../../src/http/uploadStorage.ts";

function randomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

describe("ChunkAccumulator", () => {
  /** An allocator that records every size it was asked for. */
  function recording() {
    const sizes: number[] = [];
    return {
      sizes,
      allocate: (size: number) => {
        sizes.push(size);
        return Buffer.allocUnsafeSlow(size);
      },
    };
  }

  it("allocates once, sized from the expected length, and keeps the chunks in order", () => {
    const data = randomBytes(300_000, 1);
    const { sizes, allocate } = recording();
    const accumulator = new ChunkAccumulator(300_000, 1_000_000, allocate);
    for (let at = 0; at < data.length; at += 65_536) accumulator.append(data.subarray(at, at + 65_536));
    expect(accumulator.length).to.equal(data.length);
    expect(accumulator.bytes().equals(data)).to.equal(true);
    expect(sizes).to.deep.equal([300_000]);
    expect(accumulator.bytes().buffer.byteLength).to.equal(300_000);
  });

  it("allocates the limit plus one byte once when no length is declared, and never grows", () => {
    const data = randomBytes(700_000, 2);
    for (const expected of [undefined, Number.NaN, -5, 0]) {
      const { sizes, allocate } = recording();
      const accumulator = new ChunkAccumulator(expected, 1_000_000, allocate);
      for (let at = 0; at < data.length; at += 1_000) accumulator.append(data.subarray(at, at + 1_000));
      expect(accumulator.bytes().equals(data), String(expected)).to.equal(true);
      expect(sizes, String(expected)).to.deep.equal([1_000_001]);
    }
  });

  it("never allocates above the limit plus one byte, and counts but drops what comes past it", () => {
    const { sizes, allocate } = recording();
    const accumulator = new ChunkAccumulator(5_000_000_000, 1_000, allocate);
    expect(sizes).to.deep.equal([1_001]);
    const data = randomBytes(3_000, 3);
    accumulator.append(data.subarray(0, 999));
    accumulator.append(data.subarray(999, 3_000));
    expect(accumulator.length).to.equal(3_000);
    expect(accumulator.bytes().equals(data.subarray(0, 1_001))).to.equal(true);
    expect(sizes).to.deep.equal([1_001]);
  });

  it("keeps growing only inside its one buffer when the declared length was too small", () => {
    const { sizes, allocate } = recording();
    const accumulator = new ChunkAccumulator(10, 1_000, allocate);
    accumulator.append(randomBytes(50, 4));
    expect(sizes).to.deep.equal([10]);
    expect(accumulator.length).to.equal(50);
    expect(accumulator.bytes().length).to.equal(10);
  });

  it("writes nothing more into its buffer once detached (a pooled slot given back), and still counts", () => {
    const slot = Buffer.alloc(1_000, 0xaa);
    const accumulator = new ChunkAccumulator(1_000, 1_000, () => slot);
    accumulator.append(Buffer.alloc(100, 1));
    accumulator.detach();
    // The slot is another upload's now: what still arrives for this one must not land in it.
    slot.fill(0xbb);
    accumulator.append(Buffer.alloc(300, 2));
    expect(slot.equals(Buffer.alloc(1_000, 0xbb))).to.equal(true);
    expect(accumulator.length).to.equal(400);
  });
});

describe("uploadFile with the incremental storage", () => {
  let server: Server;
  let port: number;

  before(async () => {
    const app = express();
    app.post("/upload", uploadFile({ maxBytes: 4_000_000 }), (req, res) => {
      const file = uploadedFileOf(req);
      res.json({
        size: file.size,
        sha256: createHash("sha256").update(file.bytes).digest("hex"),
        ownsBuffer: file.ownsBuffer,
        bufferBytes: file.bytes.buffer.byteLength,
      });
    });
    app.use(((error, req, res, _next) => sendErrorProblem(req, res, error)) as ErrorRequestHandler);
    server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  /** A multipart body with one file, sent with Content-Length or chunked, in pieces of `piece` bytes. */
  async function send(file: Buffer, chunked: boolean, piece: number) {
    const boundary = "----bench-boundary-7f3a";
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="run.gpx"\r\n` +
          "Content-Type: application/octet-stream\r\n\r\n",
      ),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const headers: Record<string, string> = { "content-type": `multipart/form-data; boundary=${boundary}` };
    if (!chunked) headers["content-length"] = String(body.length);
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/upload", headers });
    for (let at = 0; at < body.length; at += piece) req.write(body.subarray(at, at + piece));
    req.end();
    const [res] = (await once(req, "response")) as [import("node:http").IncomingMessage];
    let text = "";
    for await (const chunk of res) text += chunk;
    const json = /json/.test(String(res.headers["content-type"]));
    return { status: res.statusCode, body: json ? JSON.parse(text) : text };
  }

  for (const chunked of [false, true]) {
    it(`receives the file's exact bytes (${chunked ? "chunked" : "with Content-Length"})`, async () => {
      for (const [size, piece] of [
        [1, 7],
        [1_000, 100],
        [700_000, 65_536],
        [3_000_000, 16_384],
      ] as const) {
        const file = randomBytes(size, size);
        const res = await send(file, chunked, piece);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.size).to.equal(size);
        expect(res.body.sha256).to.equal(createHash("sha256").update(file).digest("hex"));
        expect(res.body.ownsBuffer).to.equal(true);
        // Its own buffer: the declared body's length (file + multipart framing) or the limit + 1 when chunked,
        // never Node's shared 8 KiB pool that multer's memory storage uses for small files.
        if (chunked) expect(res.body.bufferBytes).to.equal(4_000_001);
        else expect(res.body.bufferBytes).to.be.within(size + 100, size + 300);
      }
    });
  }

  for (const chunked of [true, false]) {
    it(`still refuses a file one byte above the limit with 413 (${chunked ? "chunked" : "with Content-Length"})`, async () => {
      const res = await send(randomBytes(4_000_001, 9), chunked, 65_536);
      expect(res.status).to.equal(413);
      expect(res.body.code).to.equal("too_large");
      expect(res.body.field).to.equal("file");
    });
  }
});

describe("incrementalMemoryStorage: pacing (a file waits for the event loop's next turn every paceBytes)", () => {
  /**
   * Hands a 4 MiB file, already queued in full in its stream, to the storage engine, and records how many bytes
   * the engine had received at each turn of the event loop until the file was stored.
   */
  async function receivedPerTurn(paceBytes?: number) {
    const data = randomBytes(4 * 1024 * 1024, 11);
    const stream = new PassThrough();
    for (let at = 0; at < data.length; at += 65_536) stream.write(data.subarray(at, at + 65_536));
    stream.end();
    let received = 0;
    const storage = incrementalMemoryStorage(8 * 1024 * 1024, undefined, paceBytes);
    const stored = new Promise<{ buffer: Buffer; size: number }>((resolve, reject) =>
      storage._handleFile(
        { headers: {} } as Request,
        { stream } as unknown as Express.Multer.File,
        (error?: unknown, info?: Partial<Express.Multer.File>) =>
          error ? reject(error) : resolve(info as { buffer: Buffer; size: number }),
      ),
    );
    stream.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    const perTurn: number[] = [];
    let done = false;
    void stored.then(() => {
      done = true;
    });
    let before = 0;
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      perTurn.push(received - before);
      before = received;
    }
    const file = await stored;
    return { perTurn, file, data };
  }

  it("receives at most paceBytes plus one chunk between two turns, and the whole file in the end", async () => {
    const { perTurn, file, data } = await receivedPerTurn(256 * 1024);
    expect(file.size).to.equal(data.length);
    expect(file.buffer.equals(data)).to.equal(true);
    expect(Math.max(...perTurn)).to.be.at.most(256 * 1024 + 65_536);
    expect(perTurn.filter((bytes) => bytes > 0).length).to.be.at.least(16);
  });

  it("without pacing the same queued file is received in one turn (what the pacing prevents)", async () => {
    const { perTurn, file, data } = await receivedPerTurn(Number.POSITIVE_INFINITY);
    expect(file.buffer.equals(data)).to.equal(true);
    expect(Math.max(...perTurn)).to.equal(data.length);
  });

  it("paces at UPLOAD_PACE_BYTES when no pace is given (what the upload routes use)", async () => {
    const { perTurn, file, data } = await receivedPerTurn();
    expect(file.buffer.equals(data)).to.equal(true);
    expect(Math.max(...perTurn)).to.be.within(UPLOAD_PACE_BYTES, UPLOAD_PACE_BYTES + 65_536);
    expect(perTurn.filter((bytes) => bytes > 0).length).to.be.at.least(
      Math.floor(data.length / (UPLOAD_PACE_BYTES + 65_536)),
    );
  });
});
