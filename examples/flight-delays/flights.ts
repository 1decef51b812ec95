/**
 * Synthetic flights for the flight-delays example: the training data of the
 * model and the events of the tests, from a seeded generator so that every
 * run sees the same flights. The delay mechanism is made up but plausible:
 * evening departures, Fridays and Sundays, long inbound delays and rain make
 * a delay of 15 minutes or more likelier.
 */
import { mulberry32 } from '../../runtime/random.js';

/** The model's inputs, in the order of the ONNX model's input columns. */
export const FEATURES = ['dep_hour', 'day_of_week', 'distance', 'inbound_delay', 'precipitation'] as const;

export interface Flight {
  flight: string;
  carrier: string;
  origin: string;
  dest: string;
  status: 'scheduled' | 'departed' | 'cancelled';
  depHour: number;
  dayOfWeek: number;
  distanceMi: number;
  /** Minutes the inbound aircraft is late; unknown for some flights. */
  inboundDelayMin?: number;
  /** Forecast precipitation at the origin; unknown for some flights. */
  precipitationMm?: number;
}

/** The seeded PRNG of the runtime, so the data is the same everywhere. */
export const rng = mulberry32;

const CARRIERS = ['UA', 'AA', 'DL', 'WN', 'B6', 'AS'];
const AIRPORTS = ['ORD', 'ATL', 'DFW', 'DEN', 'LAX', 'SFO', 'JFK', 'SEA', 'BOS', 'MIA'];

export function makeFlights(n: number, seed: number): Flight[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const out: Flight[] = [];
  for (let i = 0; i < n; i++) {
    const origin = pick(AIRPORTS);
    let dest = pick(AIRPORTS);
    if (dest === origin) dest = AIRPORTS[(AIRPORTS.indexOf(origin) + 1) % AIRPORTS.length];
    const u = r();
    const f: Flight = {
      flight: `${pick(CARRIERS)}${100 + Math.floor(r() * 9900)}`,
      carrier: '',
      origin,
      dest,
      status: u < 0.85 ? 'scheduled' : u < 0.95 ? 'departed' : 'cancelled',
      depHour: 5 + Math.floor(r() * 19),
      dayOfWeek: Math.floor(r() * 7),
      distanceMi: 150 + Math.floor(r() * 2600),
    };
    f.carrier = f.flight.slice(0, 2);
    if (r() < 0.9) f.inboundDelayMin = r() < 0.6 ? 0 : Math.floor(-25 * Math.log(1 - r()));
    if (r() < 0.95) f.precipitationMm = r() < 0.7 ? 0 : Math.round(-40 * Math.log(1 - r())) / 10;
    out.push(f);
  }
  return out;
}

/**
 * The model's inputs of a flight, exactly as the pipeline's `inputs`
 * expression maps them: a missing inbound delay stays missing (the trees
 * route it), missing precipitation counts as none.
 */
export function features(f: Flight): number[] {
  return [f.depHour, f.dayOfWeek, f.distanceMi, f.inboundDelayMin ?? NaN, f.precipitationMm ?? 0];
}

/** Whether a flight was delayed, drawn from the made-up mechanism: the labels the model learns from. */
export function delayed(f: Flight, r: () => number): number {
  const inbound = Math.min(f.inboundDelayMin ?? 10, 90);
  const z =
    -2.4 +
    0.11 * Math.max(0, f.depHour - 14) +
    (f.dayOfWeek === 4 || f.dayOfWeek === 6 ? 0.6 : 0) +
    (f.distanceMi < 500 ? 0.3 : 0) +
    0.045 * inbound +
    0.15 * Math.min(f.precipitationMm ?? 0, 15);
  return r() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
}
