/**
 * Wire captures for the accuracy tests (root, namespaces): tcpdump on one device of one namespace, and a minimal
 * reader of what it wrote (pcap, ns timestamps, Ethernet, IPv4/UDP). tcpdump's timestamps are the kernel's, taken
 * as a packet passes the device: the ground truth the probes' times are compared with.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * tcpdump writing `pcap`, once it says it is listening (so no packet of the test is missed). --immediate-mode: else
 * libpcap hands packets over in blocks retired every second, and the last second's are lost when tcpdump is stopped.
 */
export async function startCapture(ns: string, dev: string, pcap: string, filter: string[] = []): Promise<ChildProcess> {
  const cap = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', dev, '-n', '-U', '--immediate-mode', '--time-stamp-precision=nano', '-s', '128', '-w', pcap, ...filter], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Its stderr line is the signal; an exit or the hang guard fails the capture (a test without its truth cannot pass).
  let said = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      cap.kill('SIGKILL');
      reject(new Error(`tcpdump in ${ns} did not start listening in 20 s: ${said}`));
    }, 20_000);
    cap.stderr!.on('data', (d: Buffer) => {
      said += d.toString();
      if (said.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
    cap.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`tcpdump in ${ns} exited (${code}): ${said}`));
    });
  });
  return cap;
}

export function stopCapture(cap: ChildProcess): Promise<void> {
  return new Promise<void>((r) => {
    if (cap.exitCode !== null) return r();
    cap.once('exit', () => r());
    cap.kill('SIGINT');
  });
}

export interface UdpPacket {
  /** Capture time, ms (CLOCK_REALTIME, ns resolution). */
  tMs: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Buffer;
}

/** The IPv4/UDP packets of a pcap file (nanosecond or microsecond, little-endian, Ethernet). */
export function readUdpPcap(file: string): UdpPacket[] {
  const b = readFileSync(file);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  const nano = magic === 0xa1b23c4d;
  if (!nano && magic !== 0xa1b2c3d4) throw new Error(`${file}: not a little-endian pcap (${magic.toString(16)})`);
  const out: UdpPacket[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const sec = b.readUInt32LE(off);
    const frac = b.readUInt32LE(off + 4);
    const incl = b.readUInt32LE(off + 8);
    const p = b.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (p.length < 14 + 20 + 8 || p.readUInt16BE(12) !== 0x0800) continue;
    const ip = p.subarray(14);
    if (ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    out.push({
      tMs: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3),
      src: ip.subarray(12, 16).join('.'),
      dst: ip.subarray(16, 20).join('.'),
      sport: udp.readUInt16BE(0),
      dport: udp.readUInt16BE(2),
      payload: udp.subarray(8),
    });
  }
  return out;
}

/** Why captures can't be taken here, or null when they can. */
export function tcpdumpUnavailable(): string | null {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'tcpdump is not installed (apt-get install tcpdump)';
  }
}
