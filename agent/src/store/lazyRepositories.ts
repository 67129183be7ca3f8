/**
 * Repositories made on first use. A transaction builds its own set over its executor, and building all of them
 * (22 repositories, each composing its zod schemas and query helpers) cost ~100 µs per transaction, most of it
 * for repositories the transaction never touches; a manual workout log uses three.
 */
import type { Repositories } from "./repositories.ts";

/** How to make each repository; called at most once, when the property is first read. */
export type RepositoryFactories = { [K in keyof Repositories]: () => Repositories[K] };

export function lazyRepositories(factories: RepositoryFactories): Repositories {
  const repositories = {} as Repositories;
  for (const key of Object.keys(factories) as (keyof Repositories)[]) {
    let made: Repositories[typeof key] | undefined;
    Object.defineProperty(repositories, key, {
      enumerable: true,
      get: () => {
        made ??= factories[key]();
        return made;
      },
    });
  }
  return repositories;
}
