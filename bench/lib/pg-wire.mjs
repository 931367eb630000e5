// Counts database round trips exactly: a TCP proxy between the app and PostgreSQL that reads the wire protocol
// (v3) in both directions. Every round trip of the extended or simple query protocol ends with one ReadyForQuery
// ('Z') message from the server, so round trips = 'Z' messages, minus the one each connection gets at start-up.
// The statements (Parse 'P' / Query 'Q' messages) are recorded too, to show what the round trips are.
// The app must connect without TLS (sslmode off, the node-postgres default for a plain URL).
import net from 'node:net';

/** @param {{ host: string, port: number }} target */
export async function startPgWireCounter(target) {
  let roundTrips = 0;
  /** @type {string[]} */
  let statements = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const fromClient = messageReader({ startup: true }, (type, body) => {
      if (type === 'Q') statements.push(cString(body, 0).text);
      if (type === 'P') statements.push(cString(body, cString(body, 0).end).text); // name, then the query
    });
    let started = false;
    const fromServer = messageReader({ startup: false }, (type) => {
      if (type !== 'Z') return;
      if (started) roundTrips++;
      started = true; // the first ReadyForQuery only ends authentication
    });
    client.on('data', (chunk) => {
      fromClient(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      fromServer(chunk);
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  return {
    port,
    /** Round trips and statements since the last call. */
    take() {
      const taken = { roundTrips, statements };
      roundTrips = 0;
      statements = [];
      return taken;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Splits a byte stream into protocol messages: a type byte and an Int32 length that counts itself. The client's
 * first message (StartupMessage) has no type byte.
 */
function messageReader({ startup }, onMessage) {
  let buffer = Buffer.alloc(0);
  let untyped = startup;
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const header = untyped ? 4 : 5;
      if (buffer.length < header) return;
      const length = buffer.readInt32BE(header - 4);
      const total = header - 4 + length;
      if (buffer.length < total) return;
      if (untyped) {
        if (buffer.readInt32BE(4) === 80877103) throw new Error('the app asked for TLS; the round-trip counter needs plain connections');
        untyped = false;
      } else {
        onMessage(String.fromCharCode(buffer[0]), buffer.subarray(5, total));
      }
      buffer = buffer.subarray(total);
    }
  };
}

function cString(buffer, start) {
  const end = buffer.indexOf(0, start);
  return { text: buffer.toString('utf8', start, end), end: end + 1 };
}
