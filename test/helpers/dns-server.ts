import { createSocket, type Socket } from 'node:dgram';

/**
 * A tiny authoritative-style DNS server on 127.0.0.1 (UDP): answers A queries with
 * `address` after `delayMs`, NXDOMAIN for names not under `zone`, and remembers the names asked.
 */
export async function startDnsServer(o: { zone: string; address: string; delayMs: number; drop?: (name: string) => boolean }): Promise<{ port: number; names: string[]; close(): Promise<void> }> {
  const names: string[] = [];
  const sock: Socket = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    // header 12 bytes, then QNAME labels, QTYPE, QCLASS
    let i = 12;
    const labels: string[] = [];
    while (i < msg.length && msg[i] !== 0) {
      const len = msg[i] as number;
      labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
      i += len + 1;
    }
    const qEnd = i + 5;
    const name = labels.join('.').toLowerCase();
    const qtype = msg.readUInt16BE(i + 1);
    names.push(name);
    if (o.drop?.(name)) return;
    const inZone = name === o.zone || name.endsWith(`.${o.zone}`);
    const answer = inZone && qtype === 1 && !name.startsWith('nx.');
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (answer ? 0 : 3), 2); // QR, AA, rcode 0 or NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer ? 1 : 0, 6);
    const question = msg.subarray(12, qEnd);
    const rr = answer
      ? Buffer.concat([Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]), Buffer.from(o.address.split('.').map(Number))])
      : Buffer.alloc(0);
    setTimeout(() => sock.send(Buffer.concat([header, question, rr]), rinfo.port, rinfo.address), o.delayMs);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, names, close: () => new Promise<void>((r) => sock.close(() => r())) };
}
