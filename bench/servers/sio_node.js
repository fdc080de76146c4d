'use strict';
// Node socket.io comparison server: one room, every client but the publisher joins it,
// and each "pub" event is re-emitted to the room unchanged. This is the peer the issue
// asks us to beat on server CPU per delivered frame.
//
// usage: node sio_node.js --port P [--host 127.0.0.1]
const http = require('node:http');
const { Server } = require('socket.io');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '0'));
const httpServer = http.createServer();
const io = new Server(httpServer, {
  // Websocket only, no compression: the same transport as the other targets.
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
});

io.on('connection', (socket) => {
  if (socket.handshake.query.role !== 'pub') socket.join('r');
  socket.on('pub', (data) => {
    io.to('r').emit('ev', data);
  });
});

httpServer.listen(port, host, () => {
  process.stdout.write(`ready ${httpServer.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
