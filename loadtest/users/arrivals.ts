/**
 * The open-model arrival schedule: users arrive at a rate that ramps up linearly over the first third of the
 * arrival span and then holds, whatever the agents' answers do (a closed loop of N connections would slow down
 * with the system under test and hide its queueing).
 */
export function arrivalOffsetsMs(users: number, spanSec: number): number[] {
  // Rate r(t) = peak * t / ramp for t < ramp, then peak; users(t) = integral. Solve users(t_i) = i.
  const ramp = spanSec / 3;
  const peak = users / (spanSec - ramp / 2);
  const rampUsers = (peak * ramp) / 2;
  const offsets: number[] = [];
  for (let i = 0; i < users; i += 1) {
    const t = i < rampUsers ? Math.sqrt((2 * i * ramp) / peak) : ramp + (i - rampUsers) / peak;
    offsets.push(Math.round(t * 1000));
  }
  return offsets;
}
