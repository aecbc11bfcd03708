#!/usr/bin/env python3
"""
Test-only delay emulator (root): holds every packet that iptables sends to NFQUEUE `--queue-num N` for a
delay (constant + uniform jitter, seeded) and then accepts it, and logs what it did, one JSON line per
packet: {"q": queue, "id": packet id, "proto": IP protocol, "len": bytes, "in": arrival (ms, monotonic),
"out": release (ms), "applied": out - in}, and for UDP "sport", "dport" and the first and seventh 32-bit
words of its payload, "w0" and "w6" (a STAMP sender packet's sequence number is w0, a reflector packet's
copy of the sender's number is w6), for TCP "sport", "dport" and "flags", for ICMP "itype", "iid" and
"iseq" (echo identifier and sequence number), so each packet of a probe can be joined to its delay. The log, not the
nominal setting, is the ground truth.

This kernel has no netem and nftables here has no `queue` statement, so the NFQUEUE target of iptables is
used, spoken to over a raw netlink socket (no libnetfilter_queue binding needed: Debian has none for Python).
Packets leave in arrival order (a FIFO: jitter alone never reorders, as in a real queue), unless REORDER is
"reorder": then each packet is held for its own delay, independently, and a packet held less than the one
before it overtakes it (jitter larger than the spacing reorders, as on parallel paths).

  nfq-delay.py QUEUE DELAY_MS [JITTER_MS] [SEED] [REORDER]     # runs until SIGTERM; log on stdout; SIGUSR1: a sync line
"""
import fcntl
import gc
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_PAYLOAD = 1, 2, 10
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_PACKET = 2
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def attr(kind, data):
    length = 4 + len(data)
    return struct.pack('=HH', length, kind) + data + b'\0' * ((4 - length % 4) % 4)


def message(msg_type, queue, attrs, seq=0, flags=NLM_F_REQUEST):
    body = struct.pack('=BBH', socket.AF_UNSPEC, 0, socket.htons(queue)) + b''.join(attrs)
    return struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, seq, 0) + body


def configure(sock, queue, seq, attrs):
    """Send a config message and wait for its acknowledgement; exit if the kernel refuses it."""
    sock.send(message(NFQNL_MSG_CONFIG, queue, attrs, seq, NLM_F_REQUEST | NLM_F_ACK))
    while True:
        buf = sock.recv(65536)
        _length, msg_type, _flags, got_seq, _pid = struct.unpack_from('=IHHII', buf, 0)
        if msg_type == NLMSG_ERROR and got_seq == seq:
            (err,) = struct.unpack_from('=i', buf, 16)
            if err != 0:
                print(json.dumps({'error': f'nfqueue config refused: errno {-err}'}), flush=True)
                sys.exit(1)
            return


def attrs_of(buf, off, end):
    out = {}
    while off + 4 <= end:
        length, kind = struct.unpack_from('=HH', buf, off)
        if length < 4:
            break
        out[kind & 0x7FFF] = buf[off + 4 : off + length]
        off += (length + 3) & ~3
    return out


def l4_fields(payload, proto):
    """What joins a packet to a probe's own: UDP ports and payload words 0 and 6; TCP ports and flags; ICMP
    type, identifier and sequence number. {} for anything else."""
    if len(payload) < 20:
        return {}
    ihl = (payload[0] & 0x0F) * 4
    l4 = payload[ihl:]
    out = {}
    if proto == 17 and len(l4) >= 4:
        out['sport'], out['dport'] = struct.unpack_from('!HH', l4, 0)
        for name, word in (('w0', 0), ('w6', 6)):
            at = 8 + 4 * word
            if len(l4) >= at + 4:
                out[name] = struct.unpack_from('!I', l4, at)[0]
    elif proto == 6 and len(l4) >= 14:
        out['sport'], out['dport'] = struct.unpack_from('!HH', l4, 0)
        out['flags'] = l4[13]
    elif proto == 1 and len(l4) >= 8:
        out['itype'] = l4[0]
        out['iid'], out['iseq'] = struct.unpack_from('!HH', l4, 4)
    return out


def main():
    # Every object here dies young and reference counting frees it: the cyclic collector would only add pauses.
    gc.disable()
    # A timer wakes a normal process up to 50 µs late (timer slack) and later on a busy host: spin the last 0.2 ms.
    # At real-time priority the slack is 0 and a spin would hold a CPU from the processes under test: 0.03 ms.
    spin_s = 0.00003 if os.sched_getscheduler(0) in (os.SCHED_FIFO, os.SCHED_RR) else 0.0002
    queue = int(sys.argv[1])
    delay_ms = float(sys.argv[2])
    jitter_ms = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    fifo = not (len(sys.argv) > 5 and sys.argv[5] == 'reorder')
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((0, 0))
    configure(sock, queue, 1, [attr(NFQA_CFG_CMD, struct.pack('!BxH', NFQNL_CFG_CMD_BIND, 0))])
    configure(sock, queue, 2, [attr(NFQA_CFG_PARAMS, struct.pack('!IB', 128, NFQNL_COPY_PACKET))])
    held = []  # heap of (release_ns, order, id, arrival_ns, proto, length, l4 fields)
    order = 0
    fifo_tail = 0
    out = sys.stdout
    # A reader that is busy for a while (a test blocked in a synchronous call) must not stall the delayer on a
    # full pipe: that held every packet until the reader came back (seen: 3.5 s). 1 MiB is ~5,000 log lines.
    try:
        fcntl.fcntl(out.fileno(), 1031, 1 << 20)  # F_SETPIPE_SZ
    except OSError:
        pass
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    # SIGUSR1: print {"sync": true} once every packet released so far is logged (its line is after theirs).
    sync = []
    signal.signal(signal.SIGUSR1, lambda *_: sync.append(1))
    print(json.dumps({'ready': True, 'queue': queue}), flush=True)
    while not stop:
        now = time.monotonic_ns()
        while held and held[0][0] <= now:
            _, _, pid, arrival, proto, length, l4 = heapq.heappop(held)
            sock.send(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, pid))]))
            released = time.monotonic_ns()
            line = {'q': queue, 'id': pid, 'proto': proto, 'len': length, 'in': arrival / 1e6, 'out': released / 1e6, 'applied': (released - arrival) / 1e6}
            line.update(l4)
            out.write(json.dumps(line) + '\n')
            now = released
        if sync:
            sync.clear()
            out.write(json.dumps({'sync': True}) + '\n')
        out.flush()
        # Sleep until the next release, but never past a packet's arrival; spin the last stretch.
        wait = 0.05 if not held else max(0.0, (held[0][0] - time.monotonic_ns()) / 1e9 - spin_s)
        try:
            ready, _, _ = select.select([sock], [], [], wait)
        except InterruptedError:
            continue
        if not ready:
            continue
        while True:
            try:
                buf = sock.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            arrival = time.monotonic_ns()
            off = 0
            while off + 16 <= len(buf):
                length, msg_type, _flags, _seq, _pid = struct.unpack_from('=IHHII', buf, off)
                if length < 16:
                    break
                if msg_type == NLMSG_ERROR:
                    (err,) = struct.unpack_from('=i', buf, off + 16)
                    if err != 0:
                        print(json.dumps({'netlink_error': err}), file=sys.stderr, flush=True)
                elif msg_type & 0xFF == NFQNL_MSG_PACKET:
                    a = attrs_of(buf, off + 20, off + length)
                    pid = struct.unpack('!I', a[NFQA_PACKET_HDR][:4])[0]
                    payload = a.get(NFQA_PAYLOAD, b'')
                    proto = payload[9] if len(payload) > 9 else -1
                    total = struct.unpack('!H', payload[2:4])[0] if len(payload) > 3 else len(payload)
                    due = arrival + int((delay_ms + rnd.random() * jitter_ms) * 1e6)
                    if fifo:
                        due = max(due, fifo_tail)
                        fifo_tail = due
                    order += 1
                    heapq.heappush(held, (due, order, pid, arrival, proto, total, l4_fields(payload, proto)))
                off += (length + 3) & ~3
    # Let what is held through, so the peers are not left with lost packets.
    for _, _, pid, *_ in held:
        sock.send(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, pid))]))
    out.flush()


if __name__ == '__main__':
    main()
