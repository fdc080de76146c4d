'use strict';
// The voters of the vote storm (bench/vote_storm.py drives this process).
//
// A Node client, so the load generator is not what limits the storm: 2,000 Python
// clients spent more CPU reading the room's frames than the three workers spent
// sending them. Speaks SPEC §3 over plain `ws`, one connection per voter.
//
//   node voters.js --urls ws://a/ws,ws://b/ws --token T --count 2000
//
// Control, one JSON line each way (stdin → stdout):
//   (start)                     → {"joined": n, "join_ms": t}
//   {"cmd":"arm","poll":P}      → {"armed": n}      every voter has seen poll.opened P
//   {"cmd":"go","poll":P,"window_s":2,"options":4,"seed":5}
//                               → {"done": {...}}   every vote answered (ack, error, close)
//   {"cmd":"stop"}              → closes every socket and exits
const WebSocket = require('ws');
const readline = require('node:readline');
const { performance } = require('node:perf_hooks');

function args(argv) {
  const out = { urls: [], token: '', count: 2000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--urls') out.urls = value.split(',');
    else if (key === '--token') out.token = value;
    else if (key === '--count') out.count = Number(value);
    else throw new Error(`unknown option ${key}`);
  }
  return out;
}

const opts = args(process.argv.slice(2));
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// A tiny deterministic generator (mulberry32), so a seed gives the same storm.
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Voter {
  constructor(url, n) {
    this.url = url;
    this.name = `Voter ${n}`;
    this.pid = null;
    this.frames = 0;
    this.closeCode = null;
    this.waiting = new Map(); // command id → resolve
    this.opened = new Set(); // polls seen opened
    this.onOpened = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false, maxPayload: 0 });
      this.ws = ws;
      this.welcomed = resolve;
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'hello', data: { token: opts.token, name: this.name } }));
      });
      ws.on('message', (data) => this.frame(data.toString()));
      ws.on('error', (err) => reject(err));
      ws.on('close', (code) => {
        this.closeCode = code;
        for (const answer of this.waiting.values()) answer({ type: 'closed', code });
        this.waiting.clear();
      });
    });
  }

  frame(text) {
    this.frames += 1;
    // Most frames are other people's votes: counted, not parsed.
    if (!/"(ack|error|welcome|poll\.opened)"/.test(text)) return;
    const decoded = JSON.parse(text);
    for (const message of Array.isArray(decoded) ? decoded : [decoded]) this.handle(message);
  }

  handle(message) {
    if (message.type === 'welcome' && this.welcomed) {
      this.pid = message.you.participant;
      this.welcomed();
      this.welcomed = null;
    } else if (message.type === 'ack' || message.type === 'error') {
      const answer = this.waiting.get(String(message.id));
      if (answer) {
        this.waiting.delete(String(message.id));
        answer(message);
      }
    } else if (message.type === 'event' && message.name === 'poll.opened') {
      this.opened.add(message.data.id ?? message.data.poll);
      if (this.onOpened) this.onOpened();
    }
  }

  command(type, id, data) {
    return new Promise((resolve) => {
      if (this.closeCode !== null) return resolve({ type: 'closed', code: this.closeCode });
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ type, id, data }));
    });
  }
}

async function join(voters) {
  for (let i = 0; i < voters.length; i += 200) {
    await Promise.all(voters.slice(i, i + 200).map((v) => v.connect()));
  }
}

function arm(voters, poll) {
  return Promise.all(
    voters.map(
      (v) =>
        new Promise((resolve) => {
          const check = () => {
            if (v.opened.has(poll)) {
              v.onOpened = null;
              resolve();
            }
          };
          v.onOpened = check;
          check();
        }),
    ),
  );
}

async function storm(voters, cmd) {
  const rand = random(cmd.seed ?? 5);
  const acked = {}; // command id → participant id
  const refused = [];
  const latencies = [];
  const framesBefore = voters.reduce((sum, v) => sum + v.frames, 0);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    voters.map((v, n) => {
      const delay = rand() * cmd.window_s * 1000;
      const choice = Math.floor(rand() * cmd.options);
      const id = `v${n}-${Math.floor(rand() * 1e9).toString(36)}`;
      return new Promise((resolve) => {
        setTimeout(async () => {
          const sent = performance.now();
          const reply = await v.command('poll.vote', id, { poll: cmd.poll, choice });
          if (reply.type === 'ack') {
            latencies.push(performance.now() - sent);
            acked[id] = v.pid;
          } else {
            refused.push(reply);
          }
          resolve();
        }, delay);
      });
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return {
    storm_ms: performance.now() - started,
    acked,
    refused,
    latencies_ms: latencies,
    frames: voters.reduce((sum, v) => sum + v.frames, 0) - framesBefore,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    close_codes: voters.filter((v) => v.closeCode !== null).map((v) => v.closeCode),
  };
}

async function main() {
  const voters = [];
  for (let n = 0; n < opts.count; n++) voters.push(new Voter(opts.urls[n % opts.urls.length], n));
  const started = performance.now();
  await join(voters);
  say({ joined: voters.length, join_ms: performance.now() - started });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const cmd = JSON.parse(line);
    if (cmd.cmd === 'arm') {
      await arm(voters, cmd.poll);
      say({ armed: voters.length });
    } else if (cmd.cmd === 'go') {
      say({ done: await storm(voters, cmd) });
    } else if (cmd.cmd === 'stop') {
      break;
    }
  }
  for (const v of voters) v.ws.close();
  process.exit(0);
}

main().catch((err) => {
  say({ error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});
