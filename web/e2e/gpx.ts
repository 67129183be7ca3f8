/**
 * A small, plausible GPX run for the browser tests: a point every 5 s, heading north at `speedMps`, with a
 * receiver's wobble of a few decimetres (a ruler-straight, constant-pace line is rejected as `synthetic_track`).
 */
export interface GpxRunParameters {
  start: Date;
  durationSec: number;
  speedMps?: number;
  /** The track's <type> (default "running"); null: none, as many exporters write it. */
  type?: string | null;
}

export function gpxRun({ start, durationSec, speedMps = 3, type = "running" }: GpxRunParameters): string {
  const lat0 = 52.52;
  const lon0 = 13.405;
  const metresPerDegree = 111_320;
  const points: string[] = [];
  for (let t = 0; t <= durationSec; t += 5) {
    const alongM = 0.5 * Math.sin(0.9 * t) + 0.25 * Math.sin(0.37 * t);
    const acrossM = 0.3 * Math.sin(0.8 * t) + 0.2 * Math.sin(0.29 * t);
    const lat = lat0 + (t * speedMps + alongM) / metresPerDegree;
    const lon = lon0 + acrossM / (metresPerDegree * Math.cos((lat0 * Math.PI) / 180));
    const time = new Date(start.getTime() + t * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    points.push(
      `<trkpt lat="${lat.toFixed(7)}" lon="${lon.toFixed(7)}"><ele>34</ele><time>${time}</time></trkpt>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="ra-e2e" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>E2E run</name>${type === null ? "" : `<type>${type}</type>`}<trkseg>
    ${points.join("\n    ")}
  </trkseg></trk>
</gpx>
`;
}
