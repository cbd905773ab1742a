/**
 * Filter and map an async iterator without an async generator, so that `return()` reaches the source
 * even before the first `next()` (a generator that never started would not close its source, and a
 * subscription's listener would leak).
 */
export function filterMap<T, U>(source: AsyncIterator<T>, fn: (value: T) => U | undefined): AsyncIterableIterator<U> {
  return {
    async next(): Promise<IteratorResult<U>> {
      for (;;) {
        const r = await source.next();
        if (r.done) return { done: true, value: undefined };
        const mapped = fn(r.value);
        if (mapped !== undefined) return { done: false, value: mapped };
      }
    },
    async return(): Promise<IteratorResult<U>> {
      await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
