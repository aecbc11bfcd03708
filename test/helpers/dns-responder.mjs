// A minimal DNS responder for namespace tests, run as its own process inside a namespace:
// `node dns-responder.mjs BIND_IP ANSWER_IP` answers every A query with ANSWER_IP (UDP port 53).
// Plain JS: `ip netns exec` runs it with node, no TypeScript loader.
import { createSocket } from 'node:dgram';

const [bindIp, answerIp] = process.argv.slice(2);
const sock = createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  let i = 12;
  while (i < msg.length && msg[i] !== 0) i += (msg[i] ?? 0) + 1;
  const question = msg.subarray(12, i + 5);
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8400, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 6);
  const rr = Buffer.concat([Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]), Buffer.from(answerIp.split('.').map(Number))]);
  sock.send(Buffer.concat([header, question, rr]), rinfo.port, rinfo.address);
});
sock.bind(53, bindIp, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => sock.close());
