'use strict';
// Fan-out load generator: one process opens N subscriber connections to a target and
// one publisher connection, then drives the room and measures deliveries/s and
// per-delivery latency (every client lives in this process, so they share one clock).
//
// Targets:
//   townhall  SPEC §3 over plain `ws`: hello → welcome, publisher sends commands, events
//             arrive as one object or a JSON array (coalesced). The publish number rides
//             in the command id (echoed as the event's `cause`) and in data.
//   socketio  socket.io v4, websocket transport only: the publisher emits "pub",
//             subscribers receive "ev". --sio-client lib uses socket.io-client;
//             raw (default) speaks the same frames over `ws`, much cheaper per delivery.
//
// Phases: connect → saturate → steady (a fixed rate, a fraction of saturation) →
// fanout (single events, time until the last client has it). With --control, every
// phase boundary is announced as a JSON line {"mark": ...} on stdout and the generator
// waits for one line on stdin, so the driver samples the server's CPU and RSS exactly
// there. The final line is {"result": {...}}.
const { performance } = require('node:perf_hooks');
const { openTownhall, openSocketio, openSocketioRaw } = require('./clients');
const { Histogram } = require('./histogram');
const { parseArgs, controlChannel } = require('./options');

const opts = parseArgs(process.argv.slice(2));
const mark = controlChannel(opts.control);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Ring of in-flight publishes indexed by publish number: send time and delivery count.
const RING = 1 << 20;
const MASK = RING - 1;
const sentAt = new Float64Array(RING);
const delivered = new Uint32Array(RING);

const state = {
  published: 0, // next publish number
  completed: 0, // every publish below this one reached every subscriber (or expired)
  deliveries: 0,
  lost: 0,
  publisherClosed: null, // the close code if the target closed the publisher
  refused: {}, // error codes the target answered the publisher with, and how often
  subscribers: 0,
  closedSubscribers: 0,
  histogram: null, // the phase's latency histogram, or null when not recording
  lastDelivery: new Float64Array(RING), // time the last subscriber got publish n
};

function onDelivery(n) {
  if (n < state.completed || n >= state.published) return;
  const now = performance.now();
  const slot = n & MASK;
  state.deliveries += 1;
  if (state.histogram !== null) state.histogram.record(now - sentAt[slot]);
  delivered[slot] += 1;
  if (delivered[slot] >= state.subscribers - state.closedSubscribers) {
    state.lastDelivery[slot] = now;
  }
}

function advanceCompleted(now) {
  // An event is done when every live subscriber has it; one older than 10 s is lost
  // (a subscriber was dropped or coalesced it away), so the window cannot stall.
  const live = state.subscribers - state.closedSubscribers;
  while (state.completed < state.published) {
    const slot = state.completed & MASK;
    if (delivered[slot] < live) {
      if (now - sentAt[slot] < 10000) break;
      state.lost += 1;
    } else {
      const took = state.lastDelivery[slot] - sentAt[slot];
      if (took > windowState.worst) windowState.worst = took;
    }
    state.completed += 1;
  }
}

// Several publishers share the load round-robin when the target rate-limits each
// connection (a real room has many participants posting, not one).
let publishers = [];

function publishOne() {
  const n = state.published;
  const slot = n & MASK;
  const now = performance.now();
  sentAt[slot] = now;
  delivered[slot] = 0;
  state.lastDelivery[slot] = 0;
  state.published += 1;
  publishers[n % publishers.length].publish(n, now);
}

// Saturation: the most events in flight for which the room still keeps up. The window
// grows while every event completes (reaches its last subscriber) within --grow-below
// (0.7) of the latency budget, holds up to the budget (headroom for the tail: growing
// until the budget itself is hit overshoots it) and shrinks when one takes longer, never below --min-window (4): a server that
// cannot fan one event out within the budget still always has work queued and runs at
// full CPU, even when the machine's scheduler is slow to wake either side (a window of
// 2 halved the measured rate of every target on a busy machine). A coalescing server
// earns a large window: what waits for a client leaves in one frame.
const windowState = { size: opts['min-window'], lastAt: 0, worst: 0, completedAtLast: 0 };

function adjustWindow(now) {
  if (now - windowState.lastAt < 100) return;
  const budget = opts['latency-budget-ms'];
  const oldestAge = state.completed < state.published ? now - sentAt[state.completed & MASK] : 0;
  const worst = Math.max(windowState.worst, oldestAge);
  if (worst > budget) windowState.size = Math.max(opts['min-window'], Math.floor(windowState.size * 0.7));
  else if (worst <= budget * opts['grow-below'] && state.completed > windowState.completedAtLast) {
    windowState.size = Math.min(opts['max-window'], windowState.size + Math.max(1, Math.floor(windowState.size / 4)));
  }
  windowState.lastAt = now;
  windowState.worst = 0;
  windowState.completedAtLast = state.completed;
}

function pumpSaturated() {
  const now = performance.now();
  advanceCompleted(now);
  adjustWindow(now);
  while (state.published - state.completed < windowState.size) publishOne();
}

function snapshotCounters() {
  return {
    t: performance.now(),
    cpu: process.cpuUsage(),
    deliveries: state.deliveries,
    published: state.published,
    lost: state.lost,
  };
}

function phaseFigures(a, b, histogram) {
  const seconds = (b.t - a.t) / 1000;
  const cpuSeconds = (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1e6;
  return {
    seconds: Number(seconds.toFixed(3)),
    events_published: b.published - a.published,
    events_per_s: Number(((b.published - a.published) / seconds).toFixed(1)),
    deliveries: b.deliveries - a.deliveries,
    deliveries_per_s: Math.round((b.deliveries - a.deliveries) / seconds),
    lost_events: b.lost - a.lost,
    latency_ms: histogram.summary(),
    loadgen_cpu_pct: Number(((100 * cpuSeconds) / seconds).toFixed(1)),
    window: windowState.size,
  };
}

async function runPhase(name, seconds, tick, intervalMs) {
  const histogram = new Histogram();
  const timer = setInterval(tick, intervalMs);
  await mark(`${name}_start`);
  state.histogram = histogram;
  const a = snapshotCounters();
  await sleep(seconds * 1000);
  const b = snapshotCounters();
  state.histogram = null;
  await mark(`${name}_end`);
  clearInterval(timer);
  return phaseFigures(a, b, histogram);
}

async function drain(timeoutMs) {
  const until = performance.now() + timeoutMs;
  while (state.completed < state.published && performance.now() < until) {
    advanceCompleted(performance.now());
    await sleep(10);
  }
}

async function connectAll(open, count, role) {
  const sockets = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      try {
        sockets.push(await open(index, role));
      } catch {
        failed += 1;
      }
    }
  };
  const workers = [];
  for (let i = 0; i < Math.min(opts['connect-concurrency'], count); i += 1) workers.push(worker());
  await Promise.all(workers);
  return { sockets, failed };
}

async function main() {
  const started = performance.now();
  let open = openTownhall;
  if (opts.target === 'socketio') open = opts['sio-client'] === 'lib' ? openSocketio : openSocketioRaw;
  const hooks = {
    onDelivery,
    onClose: () => {
      state.closedSubscribers += 1;
    },
    onPublisherClose: (code) => {
      state.publisherClosed = code;
    },
    onRefused: (code) => {
      state.refused[code] = (state.refused[code] || 0) + 1;
    },
  };
  const openOne = (index, role) => open(opts, index, role, hooks);

  const pub = await connectAll(openOne, opts.publishers, 'pub');
  if (pub.sockets.length !== opts.publishers) throw new Error('a publisher could not connect');
  publishers = pub.sockets;
  await mark('baseline');

  const t0 = performance.now();
  const subs = await connectAll(openOne, opts.clients, 'sub');
  state.subscribers = subs.sockets.length;
  const connect = {
    connected: subs.sockets.length,
    failed: subs.failed,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
  };
  await mark('idle', connect);
  if (state.subscribers === 0) throw new Error('no subscriber could connect');

  // Warm up at saturation so that JITs, caches and buffers settle before measuring.
  const warm = setInterval(pumpSaturated, 1);
  await sleep(opts.warmup * 1000);
  clearInterval(warm);
  const saturate = await runPhase('saturate', opts.duration, pumpSaturated, 1);
  await drain(30000);

  // Steady: open loop at a fraction of the saturated event rate.
  const rate = Math.max(0.2, saturate.events_per_s * opts['steady-fraction']);
  let steadyStart = 0;
  let steadySent = 0;
  const steadyTick = () => {
    const now = performance.now();
    advanceCompleted(now);
    if (steadyStart === 0) steadyStart = now;
    // The first event leaves at once: a slow target's phase must not end empty.
    const due = Math.floor(((now - steadyStart) / 1000) * rate) + 1;
    while (steadySent < due) {
      publishOne();
      steadySent += 1;
    }
  };
  const steady = await runPhase('steady', opts['steady-duration'], steadyTick, 2);
  steady.target_events_per_s = Number(rate.toFixed(2));
  await drain(30000);

  // Fan-out: one event alone, how long until the last subscriber has it.
  const fanoutLatencies = [];
  await mark('fanout_start');
  const fanoutUntil = performance.now() + opts['fanout-seconds'] * 1000;
  for (let i = 0; i < opts['fanout-events'] && performance.now() < fanoutUntil; i += 1) {
    const n = state.published;
    publishOne();
    const until = performance.now() + 5000;
    while (state.completed <= n && performance.now() < until) {
      await sleep(1);
      advanceCompleted(performance.now());
    }
    const last = state.lastDelivery[n & MASK];
    fanoutLatencies.push(last > 0 ? last - sentAt[n & MASK] : null);
    await sleep(20);
  }
  await mark('fanout_end');
  const reached = fanoutLatencies.filter((x) => x !== null).sort((x, y) => x - y);
  const fanout = {
    events: fanoutLatencies.length,
    reached_all: reached.length,
    last_client_ms_p50: reached.length ? Number(reached[Math.floor(reached.length / 2)].toFixed(2)) : null,
    last_client_ms_max: reached.length ? Number(reached[reached.length - 1].toFixed(2)) : null,
  };

  // Diagnostics for a target that loses events: which publishes never completed, and
  // how the subscribers' counts spread (a starved subscriber stalls the window).
  const stuck = [];
  for (let n = state.completed; n < state.published && stuck.length < 5; n += 1) {
    const age = Math.round(performance.now() - sentAt[n & MASK]);
    stuck.push({ n, delivered: delivered[n & MASK], age_ms: age });
  }
  const counts = subs.sockets.map((s) => s.received).filter((x) => x !== undefined);
  const most = counts.length ? Math.max(...counts) : 0;
  const closeCodes = {};
  for (const s of subs.sockets) {
    if (s.closeCode !== null && s.closeCode !== undefined) closeCodes[s.closeCode] = (closeCodes[s.closeCode] || 0) + 1;
  }
  const result = {
    target: opts.target,
    incomplete_events: stuck,
    subscribers_received: counts.length
      ? { min: Math.min(...counts), max: most, behind: counts.filter((x) => x < most).length }
      : null,
    close_codes: closeCodes,
    publisher_closed: state.publisherClosed,
    url: opts.url,
    clients: opts.clients,
    publishers: opts.publishers,
    connect,
    saturate,
    steady,
    fanout,
    subscribers_closed: state.closedSubscribers,
    publisher_refused: state.refused,
    wall_seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  process.stdout.write(`${JSON.stringify({ result })}\n`);
  for (const socket of subs.sockets) socket.close();
  for (const socket of publishers) socket.close();
  setTimeout(() => process.exit(0), 200);
}

main().catch((error) => {
  process.stdout.write(`${JSON.stringify({ error: String(error && error.stack ? error.stack : error) })}\n`);
  process.exit(1);
});
