// Preloaded with `node --import` into an agent replica by the load test's clock-skew fault: the process's
// `Date` (Date.now(), `new Date()` and `Date()` without arguments) runs LOADTEST_CLOCK_SKEW_MS milliseconds
// ahead (behind when negative) of the machine's clock, as on a host whose NTP drifted. Timers are unaffected.
const skewMs = Number(process.env.LOADTEST_CLOCK_SKEW_MS ?? "0");
if (Number.isFinite(skewMs) && skewMs !== 0) {
  const RealDate = globalThis.Date;
  const realNow = RealDate.now.bind(RealDate);
  const now = () => realNow() + skewMs;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) =>
      Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget),
    apply: () => new RealDate(now()).toString(),
    get: (target, property, receiver) => (property === "now" ? now : Reflect.get(target, property, receiver)),
  });
}
