'use strict';
// Command line of the load generator, and its control channel with the driver
// (bench/run.py): each {"mark": ...} line on stdout waits for one line on stdin.
const readline = require('node:readline');

const DEFAULTS = {
  target: 'townhall',
  url: 'ws://127.0.0.1:8000/ws',
  clients: 500,
  token: 'bench',
  'pub-token': '',
  command: 'statement.post',
  warmup: 2,
  duration: 8,
  'steady-duration': 8,
  'steady-fraction': 0.5,
  'latency-budget-ms': 100,
  'grow-below': 0.7,
  'min-window': 4,
  'max-window': 4096,
  'fanout-events': 20,
  'fanout-seconds': 15,
  'connect-concurrency': 200,
  'connect-timeout': 20,
  'sio-client': 'raw',
  publishers: 1,
  control: false,
};

function parseArgs(argv) {
  const opts = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i += 1) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in DEFAULTS)) throw new Error(`unknown option --${key}`);
    if (typeof DEFAULTS[key] === 'boolean') opts[key] = true;
    else {
      const value = argv[(i += 1)];
      opts[key] = typeof DEFAULTS[key] === 'number' ? Number(value) : value;
    }
  }
  if (!opts['pub-token']) opts['pub-token'] = opts.token;
  return opts;
}

function controlChannel(enabled) {
  const pendingAcks = [];
  const stdinLines = [];
  if (enabled) {
    readline.createInterface({ input: process.stdin }).on('line', (line) => {
      const resolve = pendingAcks.shift();
      if (resolve) resolve(line);
      else stdinLines.push(line);
    });
  }
  return async function mark(name, extra = {}) {
    if (!enabled) return;
    process.stdout.write(`${JSON.stringify({ mark: name, ...extra })}\n`);
    if (stdinLines.length > 0) {
      stdinLines.shift();
      return;
    }
    await new Promise((resolve) => pendingAcks.push(resolve));
  };
}

module.exports = { parseArgs, controlChannel };
