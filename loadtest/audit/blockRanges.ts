/**
 * Reads a span of blocks in ranges (the load test's event reads: the audit's and the runner's while it waits):
 * at most `range` blocks a request, halved down to one block when a read fails (a node or client refusing an
 * answer that large: one read from the deployment block came back over viem's 10 MiB limit at 10,000 users).
 */
export const DEFAULT_RANGE = 2_000n;

export async function readInRanges<T>(
  from: bigint,
  to: bigint,
  read: (fromBlock: bigint, toBlock: bigint) => Promise<readonly T[]>,
  range: bigint = DEFAULT_RANGE,
): Promise<T[]> {
  const all: T[] = [];
  let size = range > 0n ? range : 1n;
  for (let a = from; a <= to; ) {
    const b = a + size - 1n > to ? to : a + size - 1n;
    let part: readonly T[];
    try {
      part = await read(a, b);
    } catch (error) {
      if (size === 1n) throw error;
      size /= 2n;
      continue;
    }
    for (const item of part) all.push(item);
    a = b + 1n;
  }
  return all;
}
