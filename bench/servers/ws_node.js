'use strict';
// Node `ws` comparison server: the leanest WebSocket server of the comparison. It speaks
// just enough of the Townhall envelope (SPEC §3) for the same load generator to drive it:
// the first message must be a `hello` and is answered with a small `welcome`; every
// later message of a publisher becomes one `event` (the next seq, its `id` echoed as
// `cause`) sent to every subscriber, plus an `ack` to the sender. No room state, no
// snapshot, no durability, no resume: what a bare connection and a broadcast cost.
//
// The broadcast is the one of the `ws` README: each client's `send`, the text encoded
// once into a Buffer. Subscribers are the clients whose hello name starts with "sub"
// (the load generator's naming), so the publishers are left out as in sio_node.js.
//
// usage: node ws_node.js --port P [--host 127.0.0.1]
const http = require('node:http');
const { WebSocketServer } = require('ws');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '0'));
const httpServer = http.createServer();
const wss = new WebSocketServer({
  server: httpServer,
  perMessageDeflate: false,
  maxPayload: 64 * 1024,
  clientTracking: false,
});

const room = new Set();
let seq = 0;
let joined = 0;

wss.on('connection', (ws) => {
  let welcomed = false;
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!welcomed) {
      if (message.type !== 'hello') {
        ws.close(4001, 'hello_required');
        return;
      }
      welcomed = true;
      joined += 1;
      const name = String((message.data && message.data.name) || '');
      if (name.startsWith('sub')) room.add(ws);
      ws.send(JSON.stringify({
        type: 'welcome', you: { participant: `p${joined}`, name }, resume_token: null,
        snapshot: null, epoch: 'ws', seq,
      }));
      return;
    }
    seq += 1;
    const event = Buffer.from(JSON.stringify({
      type: 'event', seq, name: 'statement.posted', data: message.data || {},
      at: new Date().toISOString(), cause: message.id,
    }));
    for (const client of room) client.send(event, { binary: false });
    ws.send(JSON.stringify({ type: 'ack', id: message.id, seq }));
  });
  ws.on('close', () => room.delete(ws));
});

httpServer.listen(port, host, () => {
  process.stdout.write(`ready ${httpServer.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
