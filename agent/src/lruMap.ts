/**
 * A Map bounded to `maxSize` entries that drops the least recently used one when full. `get` and `set` both count
 * as a use (a Map iterates in insertion order, so re-inserting moves a key to the young end).
 */
export class LruMap<K, V> extends Map<K, V> {
  readonly maxSize: number;

  constructor(maxSize: number) {
    super();
    if (!Number.isInteger(maxSize) || maxSize < 1) {
      throw new RangeError(`maxSize must be a positive integer: ${maxSize}`);
    }
    this.maxSize = maxSize;
  }

  override get(key: K): V | undefined {
    if (!super.has(key)) return undefined;
    const value = super.get(key) as V;
    super.delete(key);
    super.set(key, value);
    return value;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.maxSize) {
      const oldest = super.keys().next();
      if (oldest.done !== true) super.delete(oldest.value);
    }
    return this;
  }
}
