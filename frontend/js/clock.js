// Countdowns are computed here from absolute deadlines: the server never sends ticks.

let offsetMs = 0; // server time minus local time, learnt from event timestamps

/** Every event carries the server's `at`; a local clock running behind is corrected. */
export function observeServerTime(iso) {
  const server = Date.parse(iso);
  if (Number.isNaN(server)) return;
  const seen = server - Date.now();
  // An event is always a little old on arrival, so only ever move towards the later time.
  if (seen > offsetMs || Math.abs(seen - offsetMs) > 5000) offsetMs = seen;
}

export function now() {
  return Date.now() + offsetMs;
}

/** Seconds until an ISO deadline (negative once past). */
export function secondsUntil(iso) {
  return (Date.parse(iso) - now()) / 1000;
}

const tickers = new Set();

/** Calls fn every second (and once now) until the returned stop() is called. */
export function everySecond(fn) {
  tickers.add(fn);
  fn();
  return () => tickers.delete(fn);
}

setInterval(() => {
  for (const fn of tickers) fn();
}, 1000);
