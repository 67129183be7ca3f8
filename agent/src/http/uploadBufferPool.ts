/**
 * Reusable memory for uploads headed to the parse workers: a few slots of shared memory, each as large as the
 * biggest file accepted, handed to one upload at a time and taken back when no one reads it any more.
 *
 * Why: every upload used to get a fresh buffer of its declared size (24 MiB for a big file). V8 counts that memory
 * as the isolate's external memory, and allocating it fast makes V8 collect the whole heap to see whether it can
 * free some: four big uploads at once cost the event loop 7 full collections of 15-25 ms each on the reference
 * machine (their pauses were most of the `GET /health` latency the upload bench measures). A slot is allocated
 * once and reused, so a busy agent allocates nothing per upload; its pages are mapped by the first upload that
 * writes them and stay resident while the slot is kept.
 *
 * The memory is a `SharedArrayBuffer`, so the parse worker reads the same bytes without a copy on the event loop
 * and without the buffer being moved away (a moved buffer could not come back to the pool). The worker copies the
 * file into memory of its own before it parses (TextDecoder refuses shared memory, and the slot may be reused the
 * moment the task ends).
 *
 * Lifetime: a slot is back in the pool once every holder released it — the upload itself (until its response is
 * closed, `UploadBufferLease.release`; the upload stops writing into the slot at that moment) and each reader of
 * the file (`UploadBufferLease.retain`: the parse task, until it settles). A reader can only join while the upload
 * still holds its slot: once the upload let go (its response closed, a timeout say), the slot may already be
 * another upload's, so the file is refused rather than read. So a client that goes away while its file waits for
 * a worker cannot have its slot handed to the next upload under the worker's feet, and a late handler cannot read
 * someone else's file.
 * At most `maxSlots` are leased at once; an upload that finds none free (or is larger than a slot) gets `undefined`
 * and its own buffer, as before. Slots left free for `idleMs` are dropped (the memory goes back to the system when
 * V8 collects them), so an idle agent does not keep the memory of its last busy minute.
 */

export interface UploadBufferPoolParameters {
  /** Bytes per slot: the largest buffer an upload asks for (the upload limit + 1). */
  slotBytes: number;
  /** Most slots leased at once (the parse pool's capacity is a good bound). */
  maxSlots: number;
  /** Free slots unused this long are dropped; default 60 s. */
  idleMs?: number;
}

export interface UploadBufferLease {
  /** `size` bytes of the slot's shared memory. */
  readonly bytes: Buffer;
  /** Whether the upload still holds the slot (`release` not called yet). */
  readonly held: boolean;
  /**
   * One more hold on the slot for a reader of the file (a parse task); its release is idempotent. `undefined` once
   * the upload released the slot: the memory may be another upload's by then.
   */
  retain(): (() => void) | undefined;
  /** The upload's hold on the slot; idempotent. */
  release(): void;
}

interface Slot {
  memory: SharedArrayBuffer;
  holders: number;
}

export class UploadBufferPool {
  readonly slotBytes: number;
  readonly maxSlots: number;
  readonly #idleMs: number;
  /** Free slots, the most recently freed last. */
  #free: SharedArrayBuffer[] = [];
  /** Slots in use, by their memory. */
  readonly #leased = new Map<SharedArrayBuffer, Slot>();
  #idleTimer: NodeJS.Timeout | undefined;

  constructor({ slotBytes, maxSlots, idleMs = 60_000 }: UploadBufferPoolParameters) {
    if (!Number.isSafeInteger(slotBytes) || slotBytes <= 0) throw new RangeError("slotBytes must be > 0");
    this.slotBytes = slotBytes;
    this.maxSlots = Math.max(0, Math.floor(maxSlots));
    this.#idleMs = idleMs;
  }

  /** Slots leased now. */
  get leased(): number {
    return this.#leased.size;
  }

  /** Free slots kept for the next uploads. */
  get kept(): number {
    return this.#free.length;
  }

  /** A slot's first `size` bytes for one upload, or `undefined` when none is free or `size` exceeds a slot. */
  lease(size: number): UploadBufferLease | undefined {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.slotBytes) return undefined;
    if (this.#leased.size >= this.maxSlots) return undefined;
    const memory = this.#free.pop() ?? new SharedArrayBuffer(this.slotBytes);
    this.#leased.set(memory, { memory, holders: 0 });
    const releaseUpload = this.#hold(memory);
    let held = true;
    return {
      bytes: Buffer.from(memory, 0, size),
      get held() {
        return held;
      },
      retain: () => (held ? this.#hold(memory) : undefined),
      release: () => {
        held = false;
        releaseUpload();
      },
    };
  }

  #hold(memory: SharedArrayBuffer): () => void {
    const slot = this.#leased.get(memory);
    if (slot === undefined) throw new Error("unreachable: holding a slot that is not leased");
    slot.holders += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.holders -= 1;
      if (slot.holders > 0) return;
      this.#leased.delete(memory);
      this.#free.push(memory);
      this.#dropWhenIdle();
    };
  }

  /** Drops every free slot once the pool has gone `idleMs` without a slot coming back. */
  #dropWhenIdle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      this.#free = [];
    }, this.#idleMs);
    this.#idleTimer.unref();
  }
}
