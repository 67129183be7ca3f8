/**
 * A V8 CPU profile of this process for the benches' `BENCH_CPU_PROFILE=<dir>`: started before the measured phase,
 * written as `<dir>/<name>.cpuprofile` after it (open it in Chrome DevTools or speedscope).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

export class CpuProfile {
  readonly #session: Session;
  readonly #dir: string;

  private constructor(session: Session, dir: string) {
    this.#session = session;
    this.#dir = dir;
  }

  /** Starts profiling when `dir` is set (usually `process.env.BENCH_CPU_PROFILE`); undefined otherwise. */
  static async start(dir: string | undefined): Promise<CpuProfile | undefined> {
    if (dir === undefined) return undefined;
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    return new CpuProfile(session, dir);
  }

  /** Stops profiling and writes `<dir>/<name>.cpuprofile`. */
  async stop(name: string): Promise<void> {
    const { profile } = await this.#session.post("Profiler.stop");
    await mkdir(this.#dir, { recursive: true });
    await writeFile(join(this.#dir, `${name}.cpuprofile`), JSON.stringify(profile));
    this.#session.disconnect();
  }
}
