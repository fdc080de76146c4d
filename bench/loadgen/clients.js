'use strict';
// The two client kinds of the load generator. Each open*() resolves, once the target's
// handshake is done, to {publish(n, now), close()}; subscribers report every event they
// receive through hooks.onDelivery(publish number).
const WebSocket = require('ws');
const { io } = require('socket.io-client');

// The publish number travels in the command id ("b<n>"), which the hub echoes as the
// event's `cause`; data.text repeats it with the send time for a human reading a trace.
function publishNumber(event) {
  if (typeof event.cause === 'string' && event.cause.charCodeAt(0) === 98 /* b */) {
    return Number.parseInt(event.cause.slice(1), 10);
  }
  const text = event.data && event.data.text;
  if (typeof text === 'string' && text.charCodeAt(0) === 98) return Number.parseInt(text.slice(1), 10);
  return -1;
}

const CAUSE = Buffer.from('"cause":"b');

// Count every `"cause":"b<n>"` in a frame; false (nothing counted) if there is none.
function scanCauses(raw, client, hooks) {
  let at = raw.indexOf(CAUSE);
  if (at === -1) return false;
  while (at !== -1) {
    let n = 0;
    let i = at + CAUSE.length;
    for (let c = raw[i]; c >= 48 && c <= 57; c = raw[++i]) n = n * 10 + (c - 48);
    client.received += 1;
    hooks.onDelivery(n);
    at = raw.indexOf(CAUSE, i);
  }
  return true;
}

function openTownhall(opts, index, role, hooks) {
  return new Promise((resolve, reject) => {
    const timeoutMs = opts['connect-timeout'] * 1000;
    const ws = new WebSocket(opts.url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: timeoutMs,
    });
    let welcomed = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no welcome in time'));
    }, timeoutMs);
    const client = {
      received: 0,
      closeCode: null,
      publish(n, now) {
        ws.send(`{"type":"${opts.command}","id":"b${n}","data":{"text":"b${n} ${now.toFixed(3)}"}}`);
      },
      close() {
        ws.close();
      },
    };
    const handle = (message) => {
      if (!welcomed) {
        if (message.type === 'welcome') {
          welcomed = true;
          clearTimeout(timer);
          resolve(client);
        } else if (message.type === 'error') {
          clearTimeout(timer);
          ws.terminate();
          reject(new Error(`refused: ${message.code}`));
        }
        return;
      }
      if (message.type === 'event') {
        if (role === 'sub') {
          const n = publishNumber(message);
          if (n >= 0) {
            client.received += 1;
            hooks.onDelivery(n);
          }
        }
      } else if (message.type === 'error' && hooks.onRefused) {
        hooks.onRefused(message.code);
      }
    };
    ws.on('open', () => {
      const token = role === 'pub' ? opts['pub-token'] : opts.token;
      ws.send(JSON.stringify({ type: 'hello', data: { token, name: `${role}${index}` } }));
    });
    ws.on('message', (raw) => {
      // A subscriber's frames are the publisher's events, one or a JSON array of them:
      // their numbers are found by scanning for `"cause":"b<n>"` instead of parsing the
      // whole frame (the server's work is the same; the load generator's is a fraction).
      // Anything else (the welcome, an error, another event) takes the full parse.
      if (welcomed && role === 'sub' && scanCauses(raw, client, hooks)) return;
      const message = JSON.parse(raw);
      if (Array.isArray(message)) for (const item of message) handle(item);
      else handle(message);
    });
    ws.on('error', (error) => {
      if (!welcomed) {
        clearTimeout(timer);
        reject(error);
      }
    });
    ws.on('close', (code) => {
      client.closeCode = code;
      if (!welcomed) {
        clearTimeout(timer);
        reject(new Error('closed before welcome'));
      } else if (role === 'sub') hooks.onClose();
      else if (hooks.onPublisherClose) hooks.onPublisherClose(code);
    });
  });
}

function openSocketio(opts, index, role, hooks) {
  return new Promise((resolve, reject) => {
    const socket = io(opts.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      perMessageDeflate: false,
      timeout: opts['connect-timeout'] * 1000,
      query: { role },
    });
    let connected = false;
    const client = {
      publish(n, now) {
        socket.emit('pub', { n, t: now });
      },
      close() {
        socket.close();
      },
    };
    if (role === 'sub') socket.on('ev', (data) => hooks.onDelivery(data.n));
    socket.on('connect', () => {
      connected = true;
      resolve(client);
    });
    socket.on('connect_error', (error) => {
      if (!connected) reject(error);
    });
    socket.on('disconnect', () => {
      if (connected && role === 'sub') hooks.onClose();
    });
  });
}

// The same socket.io v4 session spoken directly over `ws` (engine.io v4 framing: "0" open,
// "40" namespace connect, "42" event, "2"/"3" ping/pong). It receives exactly the frames
// socket.io-client would, at a fraction of the client-side cost, which keeps the one
// load generator process from becoming the bottleneck (--sio-client raw).
function openSocketioRaw(opts, index, role, hooks) {
  return new Promise((resolve, reject) => {
    const timeoutMs = opts['connect-timeout'] * 1000;
    const base = opts.url.replace(/^http/, 'ws').replace(/\/$/, '');
    const ws = new WebSocket(`${base}/socket.io/?EIO=4&transport=websocket&role=${role}`, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: timeoutMs,
    });
    let connected = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no socket.io connect in time'));
    }, timeoutMs);
    const client = {
      publish(n, now) {
        ws.send(`42["pub",{"n":${n},"t":${now}}]`);
      },
      close() {
        ws.close();
      },
    };
    ws.on('message', (raw) => {
      const kind = raw[0];
      if (kind === 52 /* 4: message */ && raw[1] === 50 /* 2: event */) {
        if (role === 'sub') hooks.onDelivery(JSON.parse(raw.toString('utf8', 2))[1].n);
      } else if (kind === 50 /* 2: ping */) {
        ws.send('3');
      } else if (kind === 48 /* 0: open */) {
        ws.send('40');
      } else if (kind === 52 && raw[1] === 48 /* 40: namespace connected */ && !connected) {
        connected = true;
        clearTimeout(timer);
        resolve(client);
      }
    });
    ws.on('error', (error) => {
      if (!connected) {
        clearTimeout(timer);
        reject(error);
      }
    });
    ws.on('close', () => {
      if (!connected) {
        clearTimeout(timer);
        reject(new Error('closed before connect'));
      } else if (role === 'sub') hooks.onClose();
    });
  });
}

module.exports = { openTownhall, openSocketio, openSocketioRaw };
