/*
 * qosprobe_udp: a UDP socket with kernel receive timestamps, for STAMP on Linux (issue 9).
 *
 * Why native: Node's dgram cannot read a datagram's kernel timestamp (SO_TIMESTAMPNS), so a
 * receive time taken in JavaScript includes the event loop's wake-up, libuv's read and the
 * 'message' dispatch (~0.13–0.2 ms on a VM), and a reflector's hold time includes all of it.
 * Here the kernel stamps each datagram as it arrives, the send time is taken right before the
 * send system call, and a reflector's reply is sent from the same libuv callback that read the
 * request: JavaScript decides (every rule stays in JavaScript), C only moves bytes and times.
 *
 * Times are milliseconds (doubles) on uv_hrtime's clock (CLOCK_MONOTONIC); the JavaScript side
 * maps them to performance.now(). A kernel timestamp (CLOCK_REALTIME) becomes monotonic as
 * "monotonic now minus the packet's age", both clocks read together, so a clock step between
 * arrival and read is the only error (none in practice: both reads are microseconds apart).
 *
 * JavaScript API (src/core/native.ts loads it, src/stamp/socket.ts and src/net/bind.ts use it):
 *   open(family 4|6, host, port, ipv6Only, device?) -> { handle, address, port }
 *     device (a network interface name, "" or absent: none): SO_BINDTODEVICE before bind (issue 22)
 *   connect(handle, host, port)                       (throws an Error with .code = errno name)
 *   start(handle, buf, onPacket, onError, replyTsOffset, wallMinusMonoMs, monoMinusCallerMs)
 *     onPacket(buf, length, address, port, rxMs) -> reply length (0: none); the datagram is in buf
 *     (length -1: larger than buf, cut), a reply is written over it and goes back to its source;
 *     rxMs is on the caller's clock (monotonic - monoMinusCallerMs). When replyTsOffset >= 0 the
 *     send time is written there as an NTP timestamp (wall clock = monotonic + wallMinusMonoMs)
 *     right before the reply goes out.
 *     onError(code, message): a socket error (e.g. ICMP port unreachable on a connected socket).
 *   send(handle, buf, length, tsOffset, wallMinusMonoMs) -> txMonoMs   (connected socket)
 *   replies(handle) -> replies the kernel took
 *   close(handle)
 *   ntpAt(buf, offset, wallMs)   the NTP writer, for tests
 *   monoNowMs() -> uv_hrtime in ms
 *   tcpBytesAcked(fd) -> bytes of a TCP socket the peer acknowledged (TCP_INFO), -1 where unknown: serve's /down
 *     minimum rate counts bytes delivered, not bytes the kernel buffered (issue 24); not UDP, but the same addon.
 *
 * Link binding (issue 22: traffic for a link leaves through that device, not the default route; Node cannot set
 * SO_BINDTODEVICE, and on Linux the route lookup ignores a source address without policy rules):
 *   bindToDevice(fd, ifname)     SO_BINDTODEVICE on any socket fd (a bound node:dgram socket's)  (throws .code = errno name)
 *   tcpSocket(family 4|6, ifname) -> fd   a non-blocking TCP socket already bound to the device, for new net.Socket({ fd })
 *   deviceOf(fd) -> ifname ("" when unbound), for tests
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Datagrams read per wake-up before returning to the loop (fairness with timers and other sockets). */
#define MAX_BATCH 64
#define NTP_UNIX_OFFSET_S 2208988800.0

typedef struct {
  int fd;
  int family;
  int closing;
  uv_poll_t poll;
  int polling;
  /* The JavaScript handle was collected while polling: on_poll_closed frees. */
  int orphaned;
  napi_env env;
  napi_ref on_packet;
  napi_ref on_error;
  napi_ref buf_ref;
  napi_ref resource;
  napi_async_context async;
  uint8_t *buf;
  size_t buf_len;
  int reply_ts_offset;
  double wall_minus_mono_ms;
  /* Times handed to onPacket are mono - this (the caller's clock, performance.now()). */
  double mono_minus_caller_ms;
  /* Replies the kernel took (they go out from C, so JavaScript can't count them). */
  double replies;
} sock_t;

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, "EINTERNAL", "qosprobe_udp: " #call " failed"); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static double mono_now_ms(void) { return (double)uv_hrtime() / 1e6; }

static double timespec_ms(const struct timespec *t) { return (double)t->tv_sec * 1e3 + (double)t->tv_nsec / 1e6; }

static napi_value throw_errno(napi_env env, int err, const char *what) {
  int uverr = uv_translate_sys_error(err);
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s: %s", what, uv_err_name(uverr), uv_strerror(uverr));
  napi_value code, message, error;
  napi_create_string_utf8(env, uv_err_name(uverr), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_throw(env, error);
  return NULL;
}

/* An NTP timestamp (RFC 5905 64-bit) of wall-clock ms, written big-endian at p. */
static void write_ntp(uint8_t *p, double unix_ms) {
  double total_s = unix_ms / 1e3;
  double whole = (double)(int64_t)total_s;
  double frac = (total_s - whole) * 4294967296.0;
  uint64_t f = (uint64_t)(frac + 0.5);
  uint64_t s = (uint64_t)(whole + NTP_UNIX_OFFSET_S);
  if (f >= 4294967296ULL) {
    f -= 4294967296ULL;
    s += 1;
  }
  uint32_t s32 = (uint32_t)s, f32 = (uint32_t)f;
  p[0] = s32 >> 24; p[1] = s32 >> 16; p[2] = s32 >> 8; p[3] = s32;
  p[4] = f32 >> 24; p[5] = f32 >> 16; p[6] = f32 >> 8; p[7] = f32;
}

static int parse_addr(int family, const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    char h[64];
    snprintf(h, sizeof h, "%s", host);
    char *zone = strchr(h, '%');
    if (zone) {
      *zone = 0;
      a->sin6_scope_id = if_nametoindex(zone + 1);
    }
    if (inet_pton(AF_INET6, h, &a->sin6_addr) != 1) return -1;
    *len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
    *len = sizeof *a;
  }
  return 0;
}

static int addr_string(const struct sockaddr_storage *ss, char *out, size_t n, int *port) {
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    *port = ntohs(a->sin6_port);
    return inet_ntop(AF_INET6, &a->sin6_addr, out, n) ? 0 : -1;
  }
  const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
  *port = ntohs(a->sin_port);
  return inet_ntop(AF_INET, &a->sin_addr, out, n) ? 0 : -1;
}

static sock_t *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "EINVAL", "qosprobe_udp: not a socket handle");
    return NULL;
  }
  sock_t *s = (sock_t *)p;
  if (s->fd < 0 || s->closing) {
    napi_throw_error(env, "ERR_SOCKET_DGRAM_NOT_RUNNING", "qosprobe_udp: socket is closed");
    return NULL;
  }
  return s;
}

static void call_error(sock_t *s, int err) {
  napi_env env = s->env;
  int uverr = uv_translate_sys_error(err);
  napi_value fn, recv, argv[2], result;
  if (napi_get_reference_value(env, s->on_error, &fn) != napi_ok || fn == NULL) return;
  napi_get_undefined(env, &recv);
  napi_create_string_utf8(env, uv_err_name(uverr), NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_string_utf8(env, uv_strerror(uverr), NAPI_AUTO_LENGTH, &argv[1]);
  napi_call_function(env, recv, fn, 2, argv, &result);
}

/* After a JavaScript callback threw: hand the exception to Node as uncaught (what dgram's 'message' does). */
static void rethrow_pending(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;
  napi_value err;
  napi_get_and_clear_last_exception(env, &err);
  napi_fatal_exception(env, err);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  sock_t *s = (sock_t *)h->data;
  (void)events;
  if (s->closing) return;
  napi_env env = s->env;
  napi_handle_scope hs;
  napi_open_handle_scope(env, &hs);
  napi_value resource;
  napi_get_reference_value(env, s->resource, &resource);
  napi_callback_scope cs;
  napi_open_callback_scope(env, resource, s->async, &cs);
  if (status < 0) {
    /* libuv reports EPOLLERR as UV_EBADF and stops the poll: on a connected UDP socket that is a pending ICMP
       error (port unreachable). Read the real one (SO_ERROR clears it), report it, and go on polling. */
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) err = errno;
    if (err != 0) call_error(s, err);
    /* Anything on the error queue would keep EPOLLERR raised (nothing here asks for it; drained to be sure). */
    char junk[64];
    for (int k = 0; k < 16; k++) {
      struct iovec jv = {junk, sizeof junk};
      struct msghdr jm = {0};
      jm.msg_iov = &jv;
      jm.msg_iovlen = 1;
      if (recvmsg(s->fd, &jm, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
    }
    rethrow_pending(env);
    if (!s->closing) uv_poll_start(&s->poll, UV_READABLE, on_readable);
  }
  for (int i = 0; i < MAX_BATCH && !s->closing; i++) {
    struct sockaddr_storage from;
    struct iovec iov = {s->buf, s->buf_len};
    union {
      char buf[CMSG_SPACE(sizeof(struct timespec)) * 2];
      struct cmsghdr align;
    } ctl;
    struct msghdr m = {0};
    m.msg_name = &from;
    m.msg_namelen = sizeof from;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof ctl.buf;
    ssize_t n = recvmsg(s->fd, &m, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      call_error(s, errno);
      rethrow_pending(env);
      continue;
    }
    /* Both clocks read together: the packet's age on the wall clock, taken off monotonic now. */
    struct timespec rt_now;
    clock_gettime(CLOCK_REALTIME, &rt_now);
    double mono_now = mono_now_ms();
    double rx_mono = mono_now;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        double age = timespec_ms(&rt_now) - timespec_ms(&ts);
        /* A clock step between arrival and now would make the age absurd: keep the read time then. */
        if (age >= 0 && age < 1000) rx_mono = mono_now - age;
      }
    }
    /* Larger than the buffer: cut, so not the datagram that was sent; say so with length -1. */
    double len = (m.msg_flags & MSG_TRUNC) ? -1 : (double)n;
    char host[INET6_ADDRSTRLEN];
    int port = 0;
    if (addr_string(&from, host, sizeof host, &port) != 0) continue;
    napi_value fn, recv, argv[5], result;
    napi_get_reference_value(env, s->on_packet, &fn);
    napi_get_reference_value(env, s->buf_ref, &argv[0]);
    napi_get_undefined(env, &recv);
    napi_create_double(env, len, &argv[1]);
    napi_create_string_latin1(env, host, NAPI_AUTO_LENGTH, &argv[2]);
    napi_create_int32(env, port, &argv[3]);
    napi_create_double(env, rx_mono - s->mono_minus_caller_ms, &argv[4]);
    if (napi_call_function(env, recv, fn, 5, argv, &result) != napi_ok) {
      rethrow_pending(env);
      continue;
    }
    int32_t reply = 0;
    if (napi_get_value_int32(env, result, &reply) != napi_ok) reply = 0;
    if (reply > 0 && (size_t)reply <= s->buf_len && !s->closing) {
      if (s->reply_ts_offset >= 0 && (size_t)s->reply_ts_offset + 8 <= (size_t)reply)
        write_ntp(s->buf + s->reply_ts_offset, mono_now_ms() + s->wall_minus_mono_ms);
      /* A reply that can't go (the sender's port vanished, a full buffer) concerns one datagram: dropped. */
      if (sendto(s->fd, s->buf, (size_t)reply, MSG_DONTWAIT, (struct sockaddr *)&from, m.msg_namelen) >= 0) s->replies++;
    }
  }
  napi_close_callback_scope(env, cs);
  napi_close_handle_scope(env, hs);
}

static napi_value js_mono_now_ms(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  CHECK(napi_create_double(env, mono_now_ms(), &v));
  return v;
}

static void free_sock(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sock_t *s = (sock_t *)data;
  /* Collected without close(): the fd goes with it (the poll was never started or is stopped). */
  if (s->polling) {
    s->orphaned = 1;
    return;
  }
  if (s->fd >= 0) close(s->fd);
  free(s);
}

/* SO_BINDTODEVICE: needs CAP_NET_RAW on kernels before 5.7 (EPERM), ENODEV for a missing interface. */
static int bind_device(int fd, const char *ifname) {
  return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname));
}

/* A device name argument: "" when absent or undefined; -1 when longer than IFNAMSIZ allows. */
static int read_ifname(napi_env env, napi_value v, char *out) {
  out[0] = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, out, IFNAMSIZ + 1, &n) != napi_ok) return -1;
  return n >= IFNAMSIZ ? -1 : 0;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char dev[IFNAMSIZ + 1] = "";
  if (argc >= 5 && read_ifname(env, argv[4], dev) != 0) return throw_errno(env, EINVAL, "SO_BINDTODEVICE");
  int32_t family = 4, port = 0;
  bool v6only = false;
  char host[64];
  size_t hl = 0;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hl));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_bool(env, argv[3], &v6only));
  struct sockaddr_storage ss;
  socklen_t sl;
  if (parse_addr(family, host, port, &ss, &sl) != 0) return throw_errno(env, EINVAL, "bind");
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int one = 1, v6 = v6only ? 1 : 0;
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6);
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "setsockopt SO_TIMESTAMPNS");
  }
  if (dev[0] && bind_device(fd, dev) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "SO_BINDTODEVICE");
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "bind");
  }
  struct sockaddr_storage bound;
  socklen_t bl = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &bl);
  char name[INET6_ADDRSTRLEN];
  int bport = 0;
  addr_string(&bound, name, sizeof name, &bport);

  sock_t *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, ENOMEM, "open");
  }
  s->fd = fd;
  s->family = family;
  s->env = env;
  s->reply_ts_offset = -1;
  napi_value handle, out, a, p;
  CHECK(napi_create_external(env, s, free_sock, NULL, &handle));
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_latin1(env, name, NAPI_AUTO_LENGTH, &a));
  CHECK(napi_create_int32(env, bport, &p));
  CHECK(napi_set_named_property(env, out, "handle", handle));
  CHECK(napi_set_named_property(env, out, "address", a));
  CHECK(napi_set_named_property(env, out, "port", p));
  return out;
}

static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  char host[64];
  size_t hl = 0;
  int32_t port = 0;
  CHECK(napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hl));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  struct sockaddr_storage ss;
  socklen_t sl;
  if (parse_addr(s->family, host, port, &ss, &sl) != 0) return throw_errno(env, EINVAL, "connect");
  if (connect(s->fd, (struct sockaddr *)&ss, sl) != 0) return throw_errno(env, errno, "connect");
  return NULL;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->polling) {
    napi_throw_error(env, "ERR_SOCKET_ALREADY_BOUND", "qosprobe_udp: already started");
    return NULL;
  }
  void *data;
  size_t len;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &len));
  int32_t off = -1;
  double wall = 0;
  CHECK(napi_get_value_int32(env, argv[4], &off));
  CHECK(napi_get_value_double(env, argv[5], &wall));
  CHECK(napi_get_value_double(env, argv[6], &s->mono_minus_caller_ms));
  s->buf = data;
  s->buf_len = len;
  s->reply_ts_offset = off;
  s->wall_minus_mono_ms = wall;
  CHECK(napi_create_reference(env, argv[1], 1, &s->buf_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &s->on_packet));
  CHECK(napi_create_reference(env, argv[3], 1, &s->on_error));
  napi_value resource, name;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_string_latin1(env, "qosprobe.udp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_reference(env, resource, 1, &s->resource));
  CHECK(napi_async_init(env, resource, name, &s->async));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, &s->poll, s->fd) != 0) {
    napi_throw_error(env, "EINTERNAL", "qosprobe_udp: uv_poll_init failed");
    return NULL;
  }
  s->poll.data = s;
  s->polling = 1;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  return NULL;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  void *data;
  size_t len;
  int32_t n = 0, off = -1;
  double wall = 0;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &len));
  CHECK(napi_get_value_int32(env, argv[2], &n));
  CHECK(napi_get_value_int32(env, argv[3], &off));
  CHECK(napi_get_value_double(env, argv[4], &wall));
  if (n < 0 || (size_t)n > len) return throw_errno(env, EINVAL, "send");
  double t = mono_now_ms();
  if (off >= 0 && (size_t)off + 8 <= (size_t)n) write_ntp((uint8_t *)data + off, t + wall);
  if (send(s->fd, data, (size_t)n, MSG_DONTWAIT) < 0) return throw_errno(env, errno, "send");
  napi_value v;
  CHECK(napi_create_double(env, t, &v));
  return v;
}

static napi_value js_replies(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  CHECK(napi_get_value_external(env, argv[0], &p));
  napi_value v;
  CHECK(napi_create_double(env, p ? ((sock_t *)p)->replies : 0, &v));
  return v;
}

/* ntpAt(buf, offset, wallMs): the NTP writer used for send times, exposed so a test holds it to stamp/ntp.ts's. */
static napi_value js_ntp_at(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t len;
  int32_t off = 0;
  double wall = 0;
  CHECK(napi_get_buffer_info(env, argv[0], &data, &len));
  CHECK(napi_get_value_int32(env, argv[1], &off));
  CHECK(napi_get_value_double(env, argv[2], &wall));
  if (off < 0 || (size_t)off + 8 > len) return throw_errno(env, EINVAL, "ntpAt");
  write_ntp((uint8_t *)data + off, wall);
  return NULL;
}

/* tcpBytesAcked(fd): tcpi_bytes_acked (Linux 4.1+), or -1 (not a TCP socket, an older kernel). A double: exact to 2^53. */
static napi_value js_tcp_bytes_acked(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  /* glibc's struct tcp_info stops before tcpi_bytes_acked and <linux/tcp.h> clashes with <netinet/tcp.h> (uv.h):
   * read the kernel's layout, append-only ABI, where the field sits at byte 120 (u64, naturally aligned). */
  enum { BYTES_ACKED_AT = 120 };
  uint64_t ti[64];
  socklen_t len = sizeof ti;
  double acked = -1;
  memset(ti, 0, sizeof ti);
  if (fd >= 0 && getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) == 0 && len >= BYTES_ACKED_AT + sizeof(uint64_t))
    acked = (double)ti[BYTES_ACKED_AT / sizeof(uint64_t)];
  napi_value v;
  CHECK(napi_create_double(env, acked, &v));
  return v;
}

static void on_poll_closed(uv_handle_t *h) {
  sock_t *s = (sock_t *)h->data;
  close(s->fd);
  s->fd = -1;
  s->polling = 0;
  /* The external's finalizer may already have run (it leaves s to us while polling). */
  if (s->orphaned) free(s);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  CHECK(napi_get_value_external(env, argv[0], &p));
  sock_t *s = (sock_t *)p;
  if (s == NULL || s->closing || s->fd < 0) return NULL;
  s->closing = 1;
  if (s->buf_ref) napi_delete_reference(env, s->buf_ref);
  if (s->on_packet) napi_delete_reference(env, s->on_packet);
  if (s->on_error) napi_delete_reference(env, s->on_error);
  if (s->resource) napi_delete_reference(env, s->resource);
  if (s->async) napi_async_destroy(env, s->async);
  s->buf_ref = s->on_packet = s->on_error = s->resource = NULL;
  s->async = NULL;
  if (s->polling) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
  } else {
    close(s->fd);
    s->fd = -1;
  }
  return NULL;
}

static napi_value js_bind_to_device(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  char dev[IFNAMSIZ + 1];
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (read_ifname(env, argv[1], dev) != 0 || dev[0] == 0 || fd < 0) return throw_errno(env, EINVAL, "SO_BINDTODEVICE");
  if (bind_device(fd, dev) != 0) return throw_errno(env, errno, "SO_BINDTODEVICE");
  return NULL;
}

static napi_value js_tcp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t family = 4;
  char dev[IFNAMSIZ + 1];
  CHECK(napi_get_value_int32(env, argv[0], &family));
  if (read_ifname(env, argv[1], dev) != 0 || dev[0] == 0) return throw_errno(env, EINVAL, "SO_BINDTODEVICE");
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (bind_device(fd, dev) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "SO_BINDTODEVICE");
  }
  napi_value v;
  CHECK(napi_create_int32(env, fd, &v));
  return v;
}

static napi_value js_device_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  char dev[IFNAMSIZ + 1] = "";
  socklen_t len = IFNAMSIZ;
  if (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) != 0) return throw_errno(env, errno, "getsockopt SO_BINDTODEVICE");
  dev[len < IFNAMSIZ ? len : IFNAMSIZ] = 0;
  napi_value v;
  CHECK(napi_create_string_utf8(env, dev, NAPI_AUTO_LENGTH, &v));
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"replies", NULL, js_replies, NULL, NULL, NULL, napi_default, NULL},
      {"ntpAt", NULL, js_ntp_at, NULL, NULL, NULL, napi_default, NULL},
      {"monoNowMs", NULL, js_mono_now_ms, NULL, NULL, NULL, napi_default, NULL},
      {"tcpBytesAcked", NULL, js_tcp_bytes_acked, NULL, NULL, NULL, napi_default, NULL},
      {"bindToDevice", NULL, js_bind_to_device, NULL, NULL, NULL, napi_default, NULL},
      {"tcpSocket", NULL, js_tcp_socket, NULL, NULL, NULL, napi_default, NULL},
      {"deviceOf", NULL, js_device_of, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
