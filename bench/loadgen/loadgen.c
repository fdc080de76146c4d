/*
 * Fan-out load generator in C: a drop-in replacement for loadgen.js (same options,
 * same control channel, same phases, same result JSON plus "loadgen": "c").
 *
 * The Node load generator used its whole core at 2,000 clients, so it, not the server,
 * set the ceiling. This one is a single thread on Linux epoll with non-blocking sockets
 * and a minimal RFC 6455 client; it needs libc and libm only:
 *
 *   cc -O2 -Wall -Wextra -o build/loadgen loadgen.c -lm
 *
 * Targets: `townhall` (SPEC §3: hello → welcome, commands in, events out, one object or
 * a JSON array per frame) and `socketio` (engine.io v4 frames over a raw WebSocket, as
 * loadgen.js's default --sio-client raw; --sio-client lib needs the Node generator).
 *
 * Phases, as in loadgen.js: connect → warm-up → saturate → drain → steady → drain →
 * fanout. With --control every phase boundary is printed as {"mark": ...} and the
 * generator waits for one line on stdin while it keeps servicing the sockets and the
 * phase tick. The last line is {"result": {...}}, or {"error": "..."} on failure.
 *
 * Two more modes exist only here (not in loadgen.js), for the arrival and the return of
 * a whole room (bench/storms.py):
 *   --mode join       connect and welcome --clients subscribers, report how long it took
 *                     (per client and the curve of the whole room), then stop.
 *   --mode reconnect  subscribers spread over --urls (several workers); a publisher on
 *                     the first publishes --rate events/s; at the mark "kill" the driver
 *                     kills a worker (answering "go <CLOCK_MONOTONIC ms of the kill>"),
 *                     and every subscriber it drops comes back as the page does: after
 *                     --reconnect-delay-ms on another worker, hello with its resume
 *                     token and (epoch, seq). It reports when each one was welcomed
 *                     back, whether replay or a snapshot brought it back, every gap or
 *                     duplicate seq of every subscriber, and the latency of the others.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ options */

/* The defaults of options.js, key for key. */
static struct {
    const char *target, *url, *token, *pub_token, *command, *sio_client;
    double clients, warmup, duration, steady_duration, steady_fraction, latency_budget_ms;
    double grow_below;
    double min_window, max_window, fanout_events, fanout_seconds, connect_concurrency;
    double connect_timeout, publishers;
    int control;
    const char *mode, *urls;
    double rate, before_kill, after_kill, reconnect_delay_ms;
} opt = {
    .target = "townhall", .url = "ws://127.0.0.1:8000/ws", .clients = 500, .token = "bench",
    .pub_token = "", .command = "statement.post", .warmup = 2, .duration = 8,
    .steady_duration = 8, .steady_fraction = 0.5, .latency_budget_ms = 100, .grow_below = 0.7,
    .min_window = 4,
    .max_window = 4096, .fanout_events = 20, .fanout_seconds = 15, .connect_concurrency = 200,
    .connect_timeout = 20, .sio_client = "raw", .publishers = 1, .control = 0,
    .mode = "fanout", .urls = "", .rate = 20, .before_kill = 3, .after_kill = 6,
    .reconnect_delay_ms = 250,
};

enum { O_STR, O_NUM, O_FLAG };
static const struct {
    const char *name;
    int kind;
    void *ptr;
} OPTIONS[] = {
    {"target", O_STR, &opt.target},
    {"url", O_STR, &opt.url},
    {"clients", O_NUM, &opt.clients},
    {"token", O_STR, &opt.token},
    {"pub-token", O_STR, &opt.pub_token},
    {"command", O_STR, &opt.command},
    {"warmup", O_NUM, &opt.warmup},
    {"duration", O_NUM, &opt.duration},
    {"steady-duration", O_NUM, &opt.steady_duration},
    {"steady-fraction", O_NUM, &opt.steady_fraction},
    {"latency-budget-ms", O_NUM, &opt.latency_budget_ms},
    {"grow-below", O_NUM, &opt.grow_below},
    {"min-window", O_NUM, &opt.min_window},
    {"max-window", O_NUM, &opt.max_window},
    {"fanout-events", O_NUM, &opt.fanout_events},
    {"fanout-seconds", O_NUM, &opt.fanout_seconds},
    {"connect-concurrency", O_NUM, &opt.connect_concurrency},
    {"connect-timeout", O_NUM, &opt.connect_timeout},
    {"sio-client", O_STR, &opt.sio_client},
    {"publishers", O_NUM, &opt.publishers},
    {"control", O_FLAG, &opt.control},
    {"mode", O_STR, &opt.mode},
    {"urls", O_STR, &opt.urls},
    {"rate", O_NUM, &opt.rate},
    {"before-kill", O_NUM, &opt.before_kill},
    {"after-kill", O_NUM, &opt.after_kill},
    {"reconnect-delay-ms", O_NUM, &opt.reconnect_delay_ms},
};

enum { M_FANOUT, M_JOIN, M_RECONNECT };
static int mode;

/* ------------------------------------------------------------ string buffer */

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_reserve(sbuf *b, size_t extra) {
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) abort();
    b->p = p;
    b->cap = cap;
}

static void sb_add(sbuf *b, const void *data, size_t n) {
    sb_reserve(b, n);
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void sb_free(sbuf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    sb_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* The characters of a JSON string (without the quotes), escaped as JSON.stringify does. */
static void sb_json_chars(sbuf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') sb_printf(b, "\\%c", c);
        else if (c == '\n') sb_add(b, "\\n", 2);
        else if (c == '\r') sb_add(b, "\\r", 2);
        else if (c == '\t') sb_add(b, "\\t", 2);
        else if (c == '\b') sb_add(b, "\\b", 2);
        else if (c == '\f') sb_add(b, "\\f", 2);
        else if (c < 0x20) sb_printf(b, "\\u%04x", c);
        else sb_add(b, &s[i], 1);
    }
}

static void sb_json_str(sbuf *b, const char *s) {
    sb_add(b, "\"", 1);
    sb_json_chars(b, s, strlen(s));
    sb_add(b, "\"", 1);
}

/* A number as JavaScript prints it (shortest text that reads back the same). */
static void sb_num(sbuf *b, double x) {
    char text[64];
    if (x == 0) x = 0; /* -0 prints as 0 */
    if (x == floor(x) && fabs(x) < 1e15) {
        snprintf(text, sizeof text, "%.0f", x);
    } else {
        for (int p = 1; p <= 17; p++) {
            snprintf(text, sizeof text, "%.*g", p, x);
            if (strtod(text, NULL) == x) break;
        }
    }
    sb_add(b, text, strlen(text));
}

/* Number(x.toFixed(digits)) of loadgen.js. */
static double fixed(double x, int digits) {
    char text[64];
    snprintf(text, sizeof text, "%.*f", digits, x);
    return strtod(text, NULL);
}

/* ------------------------------------------------------------------- errors */

/* {"error": "..."} on stdout and exit 1, as loadgen.js does on any failure. */
__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    sbuf b = {0};
    sb_add(&b, "{\"error\":", 9);
    sb_json_str(&b, message);
    sb_add(&b, "}\n", 2);
    fwrite(b.p, 1, b.len, stdout);
    fflush(stdout);
    exit(1);
}

/* -------------------------------------------------------------- clock, cpu */

static double clock_origin;

static double monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Like performance.now(): milliseconds since the process started. */
static double now_ms(void) { return monotonic_ms() - clock_origin; }

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static uint32_t rng_state = 2463534242u;

static uint32_t xorshift32(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* ---------------------------------------------------------------- histogram */

/* histogram.js: fixed 50 µs buckets up to 30 s, percentiles at the bucket's upper edge. */
#define BUCKET_MS 0.05
#define BUCKETS 600000

typedef struct {
    uint32_t *counts;
    uint64_t count;
    double sum, max;
} histogram;

static histogram *histogram_new(void) {
    histogram *h = calloc(1, sizeof *h);
    if (!h || !(h->counts = calloc(BUCKETS + 1, sizeof *h->counts))) abort();
    return h;
}

static void histogram_record(histogram *h, double ms) {
    double bucket = floor(ms / BUCKET_MS);
    size_t i = bucket >= BUCKETS ? BUCKETS : bucket <= 0 ? 0 : (size_t)bucket;
    h->counts[i] += 1;
    h->count += 1;
    h->sum += ms;
    if (ms > h->max) h->max = ms;
}

static double histogram_percentile(const histogram *h, double p) {
    double rank = ceil(p / 100 * (double)h->count);
    uint64_t seen = 0;
    for (size_t i = 0; i <= BUCKETS; i++) {
        seen += h->counts[i];
        if ((double)seen >= rank) return (double)(i + 1) * BUCKET_MS;
    }
    return h->max;
}

static void sb_histogram(sbuf *b, const histogram *h) {
    sb_printf(b, "{\"samples\":%llu,\"mean\":", (unsigned long long)h->count);
    if (h->count == 0) {
        sb_printf(b, "null,\"p50\":null,\"p99\":null,\"p999\":null,\"max\":");
    } else {
        sb_num(b, fixed(h->sum / (double)h->count, 2));
        sb_add(b, ",\"p50\":", 7);
        sb_num(b, fixed(histogram_percentile(h, 50), 2));
        sb_add(b, ",\"p99\":", 7);
        sb_num(b, fixed(histogram_percentile(h, 99), 2));
        sb_add(b, ",\"p999\":", 8);
        sb_num(b, fixed(histogram_percentile(h, 99.9), 2));
        sb_add(b, ",\"max\":", 7);
    }
    sb_num(b, fixed(h->max, 2));
    sb_add(b, "}", 1);
}

/* -------------------------------------------------------------- connections */

enum { T_TOWNHALL, T_SOCKETIO };
enum { ROLE_PUB, ROLE_SUB };
static const char *const ROLE_NAME[] = {"pub", "sub"};

/* A connection's life: TCP connect, HTTP upgrade, the target's hello (welcome or "40"),
 * then open. FREE: never started; DEAD: closed (its counters stay for the result);
 * WAIT: dropped, coming back at reconnect_at (--mode reconnect). */
enum { ST_FREE, ST_TCP, ST_UPGRADE, ST_HELLO, ST_OPEN, ST_DEAD, ST_WAIT };

typedef struct {
    int fd, state, role, index;
    int url;          /* index of the endpoint (--urls) it connects to */
    int returning;    /* a reconnect in progress: not part of the connect phase */
    int dropped;      /* it was dropped once (since the kill) */
    int attempts;     /* reconnect attempts of the current return */
    double started_at, welcomed_at, reconnect_at;
    size_t welcome_bytes; /* the frame that held its first welcome */
    long long seq;    /* the last event seq it holds (--mode reconnect), -1: none yet */
    char *resume_token;
    char epoch[128];
    int want_out;   /* EPOLLOUT is in the epoll interest set */
    int close_code; /* as the `ws` close event reports it; -1 while not closed */
    double deadline; /* of the handshake */
    uint64_t received; /* publish numbers seen by this subscriber */
    sbuf in;         /* received bytes not yet consumed: an incomplete frame or header */
    sbuf out;        /* bytes the kernel did not take yet, from out_off on */
    size_t out_off;
    sbuf msg;        /* a fragmented message being reassembled */
    int in_message;  /* a data frame without FIN was seen */
} conn;

#define MAX_MESSAGE (16u << 20) /* a bigger frame or message closes the connection (1009) */
#define SCRATCH_SIZE (256u << 10)
#define MAX_HEADER 16384

static int target_kind, epoll_fd;
/* Where the clients connect: --url, or each of --urls (subscribers round robin). */
#define MAX_URLS 16
static struct {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    sbuf upgrade_request[2]; /* per role: the whole HTTP request */
} endpoints[MAX_URLS];
static int nendpoints;
static sbuf hello_prefix;       /* {"type":"hello","data":{"token":"...","name":" up to the role */
static sbuf hello_pub_prefix;
static sbuf command_json; /* the command name, JSON-escaped */
static char *scratch;     /* recv() buffer shared by all connections */

static conn *conns;                /* publishers first, then subscribers */
static conn **pubs, **subs;        /* the connected ones, in order of connection */
static long npubs, nsubs;
static struct {
    long in_flight, failed;
} connecting;

static void set_out(conn *c, int on) {
    if (c->want_out == on) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = on;
}

/* Send raw bytes: straight to the kernel, what it does not take waits for EPOLLOUT.
 * A hard error shuts the socket down; the read side then sees it end (close 1006). */
static int gone(const conn *c) { return c->state == ST_DEAD || c->state == ST_WAIT; }

static void conn_write(conn *c, const void *data, size_t n) {
    if (gone(c) || c->state == ST_FREE) return;
    if (c->out.len == c->out_off) {
        ssize_t sent = send(c->fd, data, n, MSG_NOSIGNAL);
        if (sent == (ssize_t)n) return;
        if (sent < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                shutdown(c->fd, SHUT_RDWR);
                return;
            }
            sent = 0;
        }
        c->out.len = c->out_off = 0;
        data = (const char *)data + sent;
        n -= (size_t)sent;
    }
    sb_add(&c->out, data, n);
    set_out(c, 1);
}

static void conn_flush(conn *c) {
    while (c->out_off < c->out.len) {
        ssize_t sent = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) shutdown(c->fd, SHUT_RDWR);
            return;
        }
        c->out_off += (size_t)sent;
    }
    c->out.len = c->out_off = 0;
    set_out(c, 0);
}

/* One client frame: FIN set, masked with a fresh 4-byte key as RFC 6455 requires. */
static void send_frame(conn *c, int opcode, const char *payload, size_t n) {
    char stack[2048];
    char *frame = n + 14 <= sizeof stack ? stack : malloc(n + 14);
    if (!frame) abort();
    size_t h = 0;
    frame[h++] = (char)(0x80 | opcode);
    if (n < 126) {
        frame[h++] = (char)(0x80 | n);
    } else if (n < 65536) {
        frame[h++] = (char)(0x80 | 126);
        frame[h++] = (char)(n >> 8);
        frame[h++] = (char)n;
    } else {
        frame[h++] = (char)(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8) frame[h++] = (char)((uint64_t)n >> shift);
    }
    uint32_t key = xorshift32();
    unsigned char mask[4] = {(unsigned char)key, (unsigned char)(key >> 8),
                             (unsigned char)(key >> 16), (unsigned char)(key >> 24)};
    memcpy(frame + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < n; i++) frame[h + i] = (char)(payload[i] ^ mask[i & 3]);
    conn_write(c, frame, h + n);
    if (frame != stack) free(frame);
}

static void send_text(conn *c, const char *text, size_t n) { send_frame(c, 0x1, text, n); }

/* --------------------------------------------------- publish ring and window */

/* Ring of in-flight publishes indexed by publish number, as loadgen.js. */
#define RING (1u << 20)
#define RING_MASK (RING - 1)
static double *sent_at, *last_delivery; /* last_delivery: when the last subscriber got it */
static uint32_t *delivered;

static struct {
    uint64_t published; /* next publish number */
    uint64_t completed; /* every publish below reached every subscriber (or expired) */
    uint64_t deliveries, lost;
    long subscribers, closed_subscribers;
    int publisher_closed; /* the close code if the target closed a publisher, else -1 */
    histogram *histogram; /* the phase's, or NULL when not recording */
} st = {.publisher_closed = -1};

/* Error codes the target answered with, and how often (publisher_refused). */
#define MAX_REFUSED 64
static struct {
    char code[64];
    long count;
} refused[MAX_REFUSED];
static int nrefused;

static struct {
    double size, last_at, worst;
    uint64_t completed_at_last;
} win;

/* --mode reconnect: the storm after the kill. */
static struct {
    int armed;          /* the kill happened: drops from now on are the storm's */
    double killed_at;   /* now_ms() of the kill */
    long dropped, back, resumed, snapshots, resyncs, refused, attempts, dropped_before;
    long long gaps, missing, dups; /* seq continuity over every subscriber */
    double last_back;   /* now_ms() when the last dropped one was welcomed back */
    histogram *back_ms; /* kill → welcomed back, per dropped subscriber */
    histogram *welcome_ms; /* connect phase: TCP connect → welcome, per subscriber */
} storm;

static void on_delivery(const conn *c, uint64_t n) {
    if (n < st.completed || n >= st.published) return;
    double now = now_ms();
    uint32_t slot = (uint32_t)(n & RING_MASK);
    st.deliveries += 1;
    /* After the kill only the subscribers never dropped count: the others' replay is
     * late by construction, and their figure is back_ms. */
    if (st.histogram && !(storm.armed && c->dropped))
        histogram_record(st.histogram, now - sent_at[slot]);
    delivered[slot] += 1;
    if ((long)delivered[slot] >= st.subscribers - st.closed_subscribers) last_delivery[slot] = now;
}

/* An event is done when every live subscriber has it; one older than 10 s is lost (a
 * subscriber was dropped or coalesced it away), so the window cannot stall. */
static void advance_completed(double now) {
    long live = st.subscribers - st.closed_subscribers;
    while (st.completed < st.published) {
        uint32_t slot = (uint32_t)(st.completed & RING_MASK);
        if ((long)delivered[slot] < live) {
            if (now - sent_at[slot] < 10000) break;
            st.lost += 1;
        } else {
            double took = last_delivery[slot] - sent_at[slot];
            if (took > win.worst) win.worst = took;
        }
        st.completed += 1;
    }
}

/* Saturation window, as adjustWindow of loadgen.js: grows while every event completes
 * within --grow-below of the latency budget, holds between that and the budget (the
 * tail's headroom: growing up to the budget itself overshoots it), shrinks (never below
 * --min-window) when one takes longer than the budget. */
static void adjust_window(double now) {
    if (now - win.last_at < 100) return;
    double oldest_age = st.completed < st.published ? now - sent_at[st.completed & RING_MASK] : 0;
    double worst = fmax(win.worst, oldest_age);
    if (worst > opt.latency_budget_ms) {
        win.size = fmax(opt.min_window, floor(win.size * 0.7));
    } else if (worst <= opt.latency_budget_ms * opt.grow_below &&
               st.completed > win.completed_at_last) {
        win.size = fmin(opt.max_window, win.size + fmax(1, floor(win.size / 4)));
    }
    win.last_at = now;
    win.worst = 0;
    win.completed_at_last = st.completed;
}

/* Publishers take turns; a publisher the target closed drops its share (as `ws` does). */
static void publish_one(void) {
    uint64_t n = st.published;
    uint32_t slot = (uint32_t)(n & RING_MASK);
    double now = now_ms();
    sent_at[slot] = now;
    delivered[slot] = 0;
    last_delivery[slot] = 0;
    st.published += 1;
    conn *c = pubs[n % (uint64_t)npubs];
    char text[512];
    int len;
    if (target_kind == T_TOWNHALL) {
        len = snprintf(text, sizeof text,
                       "{\"type\":\"%s\",\"id\":\"b%llu\",\"data\":{\"text\":\"b%llu %.3f\"}}",
                       command_json.p, (unsigned long long)n, (unsigned long long)n, now);
    } else {
        /* JS prints `t` at full precision; nobody reads it, 3 decimals keep the size close. */
        len = snprintf(text, sizeof text, "42[\"pub\",{\"n\":%llu,\"t\":%.3f}]",
                       (unsigned long long)n, now);
    }
    if (len > 0 && (size_t)len < sizeof text) send_text(c, text, (size_t)len);
}

static void pump_saturated(double now) {
    advance_completed(now);
    adjust_window(now);
    while ((double)(st.published - st.completed) < win.size) publish_one();
}

/* Steady: open loop at a fixed event rate; the first event leaves at once. */
static struct {
    double rate, start;
    uint64_t sent;
} steady;

static void steady_tick(double now) {
    advance_completed(now);
    if (steady.start == 0) steady.start = now;
    uint64_t due = (uint64_t)floor((now - steady.start) / 1000 * steady.rate) + 1;
    while (steady.sent < due) {
        publish_one();
        steady.sent += 1;
    }
}

/* ------------------------------------------------------- minimal JSON reader */

/* Just enough JSON to read a top-level member of an object, for the frames that are not
 * the subscribers' hot path (the welcome, errors, events without a `"cause":"b`). */

static const char *json_ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static const char *json_skip_string(const char *p, const char *e) {
    for (p++; p < e; p++) {
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    }
    return NULL;
}

/* The end of the value starting at p, or NULL if the text ends first. */
static const char *json_skip(const char *p, const char *e) {
    p = json_ws(p, e);
    if (p >= e) return NULL;
    if (*p == '"') return json_skip_string(p, e);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            if (*p == '"') {
                if (!(p = json_skip_string(p, e))) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
            p++;
        }
        return NULL;
    }
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
           *p != '\n' && *p != '\r')
        p++;
    return p;
}

/* Find member `key` of the object at [p, e): its value is [*vp, *ve). */
static int json_member(const char *p, const char *e, const char *key, const char **vp,
                       const char **ve) {
    size_t klen = strlen(key);
    p = json_ws(p, e);
    if (p >= e || *p != '{') return 0;
    for (p++;;) {
        p = json_ws(p, e);
        if (p >= e || *p != '"') return 0;
        const char *name = p + 1, *end = json_skip_string(p, e);
        if (!end) return 0;
        int match = (size_t)(end - 1 - name) == klen && memcmp(name, key, klen) == 0;
        p = json_ws(end, e);
        if (p >= e || *p != ':') return 0;
        const char *value = json_ws(p + 1, e);
        if (!(p = json_skip(value, e))) return 0;
        if (match) {
            *vp = value;
            *ve = p;
            return 1;
        }
        p = json_ws(p, e);
        if (p >= e || *p != ',') return 0;
        p++;
    }
}

static int json_is_string(const char *v, const char *ve, const char *s) {
    size_t n = strlen(s);
    return (size_t)(ve - v) == n + 2 && v[0] == '"' && memcmp(v + 1, s, n) == 0;
}

/* parseInt() of the text at p, -1 when it is not a non-negative integer. */
static long long js_parse_int(const char *p, const char *e) {
    p = json_ws(p, e);
    if (p < e && *p == '+') p++;
    if (p >= e || *p < '0' || *p > '9') return -1;
    long long n = 0;
    for (; p < e && *p >= '0' && *p <= '9'; p++) n = n * 10 + (*p - '0');
    return n;
}

/* publishNumber of clients.js: from the event's cause ("b<n>"), else from data.text. */
static long long publish_number(const char *p, const char *e) {
    const char *v, *ve, *dv, *de;
    if (json_member(p, e, "cause", &v, &ve) && ve - v >= 2 && v[0] == '"' && v[1] == 'b')
        return js_parse_int(v + 2, ve - 1);
    if (json_member(p, e, "data", &dv, &de) && json_member(dv, de, "text", &v, &ve) &&
        ve - v >= 2 && v[0] == '"' && v[1] == 'b')
        return js_parse_int(v + 2, ve - 1);
    return -1;
}

/* ----------------------------------------------------------- the two targets */

static void conn_lost(conn *c, int code);
static void conn_refused(conn *c);

static void connected(conn *c) {
    double now = now_ms();
    c->state = ST_OPEN;
    if (c->returning) { /* welcomed back after a drop (--mode reconnect) */
        c->returning = 0;
        c->attempts = 0;
        if (storm.armed && c->dropped) {
            storm.back += 1;
            histogram_record(storm.back_ms, now - storm.killed_at);
            if (now > storm.last_back) storm.last_back = now;
        }
        return;
    }
    connecting.in_flight -= 1;
    c->welcomed_at = now;
    if (c->role == ROLE_PUB) {
        pubs[npubs++] = c;
    } else {
        subs[nsubs++] = c;
        histogram_record(storm.welcome_ms, now - c->started_at);
    }
}

/* A JSON string value [v, ve) (quotes included, no escapes expected) into dst. */
static void copy_string(char *dst, size_t size, const char *v, const char *ve) {
    size_t n = 0;
    if (ve - v >= 2 && *v == '"') {
        v++;
        ve--;
        n = (size_t)(ve - v) < size - 1 ? (size_t)(ve - v) : size - 1;
        memcpy(dst, v, n);
    }
    dst[n] = 0;
}

/* A welcome (--mode reconnect): keep the resume token, epoch and seq; a welcome back
 * must be a replay from where the client was (resumed, same seq), else it is counted
 * as a snapshot. Every later event must then be seq + 1. */
static void on_welcome(conn *c, const char *p, const char *e) {
    const char *v, *ve;
    long long seq = json_member(p, e, "seq", &v, &ve) ? js_parse_int(v, ve) : -1;
    int resumed = json_member(p, e, "resumed", &v, &ve) && ve - v == 4 && memcmp(v, "true", 4) == 0;
    if (json_member(p, e, "resume_token", &v, &ve) && ve - v >= 2 && *v == '"') {
        size_t n = (size_t)(ve - v) - 2;
        free(c->resume_token);
        c->resume_token = malloc(n + 1);
        if (!c->resume_token) abort();
        memcpy(c->resume_token, v + 1, n);
        c->resume_token[n] = 0;
    }
    if (json_member(p, e, "epoch", &v, &ve)) copy_string(c->epoch, sizeof c->epoch, v, ve);
    if (c->dropped) {
        if (resumed && seq == c->seq) storm.resumed += 1;
        else storm.snapshots += 1;
    }
    c->seq = seq;
}

static void on_event_seq(conn *c, long long seq) {
    if (c->seq >= 0) {
        if (seq <= c->seq) storm.dups += 1;
        else if (seq > c->seq + 1) {
            storm.gaps += 1;
            storm.missing += seq - c->seq - 1;
        }
    }
    c->seq = seq;
}

static void count_refused(const char *v, const char *ve) {
    char code[64];
    size_t n;
    if (!v) {
        v = "undefined";
        ve = v + 9;
    } else if (ve - v >= 2 && *v == '"') {
        v++;
        ve--;
    }
    n = (size_t)(ve - v) < sizeof code - 1 ? (size_t)(ve - v) : sizeof code - 1;
    memcpy(code, v, n);
    code[n] = 0;
    for (int i = 0; i < nrefused; i++) {
        if (strcmp(refused[i].code, code) == 0) {
            refused[i].count += 1;
            return;
        }
    }
    if (nrefused < MAX_REFUSED) {
        memcpy(refused[nrefused].code, code, n + 1);
        refused[nrefused++].count = 1;
    }
}

/* One message object of the townhall protocol (clients.js handle()). */
static void townhall_item(conn *c, const char *p, const char *e) {
    const char *v, *ve;
    if (!json_member(p, e, "type", &v, &ve)) return;
    int tracking = mode == M_RECONNECT && c->role == ROLE_SUB;
    if (c->state == ST_HELLO) {
        if (json_is_string(v, ve, "welcome")) {
            if (tracking) on_welcome(c, p, e);
            connected(c);
        } else if (json_is_string(v, ve, "error")) {
            conn_refused(c);
        }
        return;
    }
    if (tracking && json_is_string(v, ve, "welcome")) { /* the snapshot after a resync */
        on_welcome(c, p, e);
        return;
    }
    if (tracking && json_is_string(v, ve, "resync")) {
        storm.resyncs += 1;
        return;
    }
    if (json_is_string(v, ve, "event")) {
        if (tracking && json_member(p, e, "seq", &v, &ve)) on_event_seq(c, js_parse_int(v, ve));
        if (c->role == ROLE_SUB) {
            long long n = publish_number(p, e);
            if (n >= 0) {
                c->received += 1;
                on_delivery(c, (uint64_t)n);
            }
        }
    } else if (json_is_string(v, ve, "error")) {
        const char *cv = NULL, *ce = NULL;
        json_member(p, e, "code", &cv, &ce);
        count_refused(cv, ce);
    }
}

/* scanCauses of clients.js: count every `"cause":"b<n>"` of the frame; 0 if none. */
static int scan_causes(conn *c, const char *p, size_t n) {
    static const char CAUSE[] = "\"cause\":\"b";
    const size_t clen = sizeof CAUSE - 1;
    const char *e = p + n, *at = memmem(p, n, CAUSE, clen);
    if (!at) return 0;
    while (at) {
        const char *i = at + clen;
        uint64_t number = 0;
        for (; i < e && *i >= '0' && *i <= '9'; i++) number = number * 10 + (uint64_t)(*i - '0');
        c->received += 1;
        on_delivery(c, number);
        at = memmem(i, (size_t)(e - i), CAUSE, clen);
    }
    return 1;
}

/* Every event's seq in the frame, in order (--mode reconnect): events are encoded as
 * {"type":"event","seq":N,...}, and nothing else in a frame spells that out. */
static void scan_seqs(conn *c, const char *p, size_t n) {
    static const char EVENT[] = "{\"type\":\"event\",\"seq\":";
    const size_t elen = sizeof EVENT - 1;
    const char *e = p + n, *at = memmem(p, n, EVENT, elen);
    while (at) {
        const char *i = at + elen;
        on_event_seq(c, js_parse_int(i, e));
        at = memmem(i, (size_t)(e - i), EVENT, elen);
    }
}

/* A townhall frame holds one message object or a JSON array of them. A subscriber's
 * events are found by the cause scan; anything else takes the JSON reader. */
static void townhall_message(conn *c, const char *p, size_t n) {
    if (c->state == ST_HELLO && !c->welcome_bytes) c->welcome_bytes = n;
    if (c->state == ST_OPEN) {
        if (c->role == ROLE_SUB && memmem(p, n, "\"cause\":\"b", 10) &&
            !memmem(p, n, "\"resync\"", 8)) {
            if (mode == M_RECONNECT) scan_seqs(c, p, n);
            scan_causes(c, p, n);
            return;
        }
        /* Once welcomed, a publisher only counts errors: skip frames that cannot hold one. */
        if (c->role == ROLE_PUB && !memmem(p, n, "\"error\"", 7)) return;
    }
    const char *e = p + n;
    p = json_ws(p, e);
    if (p >= e) return;
    if (*p != '[') {
        townhall_item(c, p, e);
        return;
    }
    for (p++;;) { /* an array: each item in turn, as long as the connection lives */
        p = json_ws(p, e);
        const char *end = p < e && *p != ']' ? json_skip(p, e) : NULL;
        if (!end) return;
        townhall_item(c, p, end);
        if (gone(c)) return;
        p = json_ws(end, e);
        if (p >= e || *p != ',') return;
        p++;
    }
}

/* engine.io v4 over the WebSocket, as openSocketioRaw: "0" open → "40"; "40" connected;
 * "2" ping → "3"; "42[...]" an event, whose data holds the publish number as "n". */
static void socketio_message(conn *c, const char *p, size_t n) {
    if (n == 0) return;
    if (p[0] == '4' && n > 1 && p[1] == '2') {
        if (c->role != ROLE_SUB) return;
        const char *e = p + n, *brace = memchr(p, '{', n);
        const char *at = brace ? memmem(brace, (size_t)(e - brace), "\"n\":", 4) : NULL;
        long long number = at ? js_parse_int(at + 4, e) : -1;
        if (number >= 0) {
            c->received += 1;
            on_delivery(c, (uint64_t)number);
        }
    } else if (p[0] == '2') {
        send_text(c, "3", 1);
    } else if (p[0] == '0') {
        send_text(c, "40", 2);
    } else if (p[0] == '4' && n > 1 && p[1] == '0' && c->state == ST_HELLO) {
        connected(c);
    }
}

/* ------------------------------------------------------- WebSocket framing */

static void on_message(conn *c, const char *p, size_t n) {
    if (target_kind == T_TOWNHALL) townhall_message(c, p, n);
    else socketio_message(c, p, n);
}

static void on_frame(conn *c, int fin, int opcode, const char *p, size_t n) {
    switch (opcode) {
    case 0x8: { /* close: answer with the same code, then close */
        int code = n >= 2 ? ((unsigned char)p[0] << 8 | (unsigned char)p[1]) : 1005;
        send_frame(c, 0x8, p, n >= 2 ? 2 : 0);
        conn_lost(c, code);
        return;
    }
    case 0x9: send_frame(c, 0xA, p, n); return; /* ping → pong, same payload */
    case 0xA: return;
    case 0x1:
    case 0x2:
        if (c->in_message) break;
        if (fin) {
            on_message(c, p, n);
        } else {
            c->in_message = 1;
            c->msg.len = 0;
            sb_add(&c->msg, p, n);
        }
        return;
    case 0x0:
        if (!c->in_message) break;
        if (c->msg.len + n > MAX_MESSAGE) {
            conn_lost(c, 1009);
            return;
        }
        sb_add(&c->msg, p, n);
        if (fin) {
            c->in_message = 0;
            on_message(c, c->msg.p, c->msg.len);
            c->msg.len = 0;
        }
        return;
    default: break;
    }
    conn_lost(c, 1002); /* protocol error */
}

/* After the upgrade: the townhall hello, or for socket.io the server's "0" comes first. */
static void on_upgraded(conn *c) {
    c->state = ST_HELLO;
    if (target_kind != T_TOWNHALL) return;
    sbuf *prefix = c->role == ROLE_PUB ? &hello_pub_prefix : &hello_prefix;
    char text[8192];
    int len;
    if (c->returning && c->resume_token) { /* as the page does: its own token, where it was */
        len = snprintf(text, sizeof text,
                       "{\"type\":\"hello\",\"data\":{\"token\":\"%s\",\"resume\":"
                       "{\"epoch\":\"%s\",\"seq\":%lld}}}",
                       c->resume_token, c->epoch, c->seq < 0 ? 0 : c->seq);
    } else {
        len = snprintf(text, sizeof text, "%.*s%s%d\"}}", (int)prefix->len, prefix->p,
                       ROLE_NAME[c->role], c->index);
    }
    if (len > 0 && (size_t)len < sizeof text) send_text(c, text, (size_t)len);
    else conn_lost(c, 1006);
}

/* Consume what can be consumed of [p, p+n): the HTTP response while upgrading, then
 * whole frames. Returns the bytes used; the rest waits for more. */
static size_t consume(conn *c, const char *p, size_t n) {
    size_t off = 0;
    if (c->state == ST_UPGRADE) {
        const char *end = memmem(p, n, "\r\n\r\n", 4);
        if (!end) {
            if (n > MAX_HEADER) conn_lost(c, 1006);
            return 0;
        }
        /* Only the status line is checked: Sec-WebSocket-Accept is not verified (this
         * client talks to servers it started itself). */
        if (n < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0) {
            conn_lost(c, 1006);
            return 0;
        }
        off = (size_t)(end - p) + 4;
        on_upgraded(c);
    }
    while (!gone(c) && n - off >= 2) {
        const unsigned char *h = (const unsigned char *)p + off;
        size_t avail = n - off, head = 2;
        uint64_t len = h[1] & 0x7f;
        if (h[1] & 0x80) { /* servers never mask */
            conn_lost(c, 1002);
            break;
        }
        if (len == 126) {
            if (avail < 4) break;
            len = (uint64_t)h[2] << 8 | h[3];
            head = 4;
        } else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int i = 2; i < 10; i++) len = len << 8 | h[i];
            head = 10;
        }
        if (len > MAX_MESSAGE) {
            conn_lost(c, 1009);
            break;
        }
        if (avail < head + len) break;
        on_frame(c, h[0] & 0x80, h[0] & 0x0f, p + off + head, (size_t)len);
        off += head + (size_t)len;
    }
    return off;
}

/* Read until the socket is drained. Level-triggered epoll: a short read means the
 * kernel had no more, and anything arriving later is reported again, so the extra
 * recv() that would only return EAGAIN is skipped. Complete frames are handled in
 * place in the shared scratch buffer; only an incomplete tail is kept per connection. */
static void on_readable(conn *c) {
    for (;;) {
        ssize_t got = recv(c->fd, scratch, SCRATCH_SIZE, 0);
        if (got == 0) {
            conn_lost(c, 1006);
            return;
        }
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) conn_lost(c, 1006);
            return;
        }
        size_t n = (size_t)got;
        if (c->in.len == 0) {
            size_t used = consume(c, scratch, n);
            if (gone(c)) return;
            if (used < n) sb_add(&c->in, scratch + used, n - used);
        } else {
            sb_add(&c->in, scratch, n);
            size_t used = consume(c, c->in.p, c->in.len);
            if (gone(c)) return;
            memmove(c->in.p, c->in.p + used, c->in.len - used);
            c->in.len -= used;
        }
        if (c->in.len == 0 && c->in.cap > (1u << 20)) sb_free(&c->in);
        if (n < SCRATCH_SIZE) return;
    }
}

/* The TCP connect finished (or failed): send the upgrade request. */
static void on_tcp_connected(conn *c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        conn_lost(c, 1006);
        return;
    }
    c->state = ST_UPGRADE;
    sbuf *request = &endpoints[c->url].upgrade_request[c->role];
    /* A fresh Sec-WebSocket-Key per connection: 16 random bytes in base64: 21 free
     * characters, one holding the last 2 bits, then "==". */
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *key = memmem(request->p, request->len, "Sec-WebSocket-Key: ", 19) + 19;
    for (int i = 0; i < 21; i++) key[i] = B64[xorshift32() & 63];
    key[21] = B64[(xorshift32() & 3) << 4]; /* the last 2 bits of 128 are zero */
    conn_write(c, request->p, request->len);
    set_out(c, c->out.len > c->out_off);
}

static void conn_release(conn *c) {
    sb_free(&c->in);
    sb_free(&c->out);
    sb_free(&c->msg);
    c->out_off = 0;
    c->in_message = 0;
}

/* --mode reconnect: a dropped subscriber comes back like the page (its backoff, 250 ms
 * then 500, 1000, 2000, 3000), each attempt on another endpoint than the last. */
static const double BACKOFF_MS[] = {1, 2, 4, 8, 12}; /* × --reconnect-delay-ms / 1 */

static void schedule_return(conn *c) {
    int step = c->attempts < 4 ? c->attempts : 4;
    c->reconnect_at = now_ms() + opt.reconnect_delay_ms * BACKOFF_MS[step];
    c->attempts += 1;
    storm.attempts += 1;
    if (nendpoints > 1) { /* spread over the others: sub i moves by 1 + i % (n - 1) */
        c->url = (c->url + 1 + c->index % (nendpoints - 1)) % nendpoints;
    }
    c->returning = 1;
    c->state = ST_WAIT;
}

static void conn_refused(conn *c) {
    if (c->returning) { /* a return refused (bad token, ...): it stays out */
        storm.refused += 1;
        c->returning = 0;
        st.closed_subscribers += 1;
        close(c->fd);
        c->fd = -1;
        c->state = ST_DEAD;
        return;
    }
    conn_lost(c, 1006);
}

/* The connection ended with `code`: a handshake failure counts as a failed connect; an
 * open subscriber as closed, an open publisher as publisher_closed. In --mode reconnect
 * a subscriber (open, or on its way back) is closed and scheduled to come back. */
static void conn_lost(conn *c, int code) {
    if (gone(c) || c->state == ST_FREE) return;
    if (mode == M_RECONNECT && c->role == ROLE_SUB && (c->state == ST_OPEN || c->returning)) {
        if (c->state == ST_OPEN) {
            c->close_code = code;
            if (!storm.armed) storm.dropped_before += 1;
            else if (!c->dropped) storm.dropped += 1;
            if (storm.armed) c->dropped = 1;
        }
        close(c->fd);
        c->fd = -1;
        c->want_out = 0;
        schedule_return(c);
        return;
    }
    if (c->state < ST_OPEN) {
        connecting.in_flight -= 1;
        connecting.failed += 1;
    } else {
        c->close_code = code;
        if (c->role == ROLE_SUB) st.closed_subscribers += 1;
        else st.publisher_closed = code;
    }
    close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->state = ST_DEAD;
}

/* Open the TCP connection of `c` to its endpoint (first time, or coming back). */
static void conn_release(conn *c);

static void open_socket(conn *c) {
    struct sockaddr_storage *addr = &endpoints[c->url].addr;
    if (c->returning) conn_release(c); /* nothing of the last socket carries over */
    c->started_at = now_ms();
    c->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->state = ST_DEAD;
        connecting.failed += 1;
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* as `ws` does */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if ((connect(c->fd, (struct sockaddr *)addr, endpoints[c->url].addr_len) < 0 &&
         errno != EINPROGRESS) ||
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        close(c->fd);
        c->fd = -1;
        if (c->returning) {
            schedule_return(c); /* e.g. refused by a dead worker: the next one, later */
            return;
        }
        c->state = ST_DEAD;
        connecting.failed += 1;
        return;
    }
    c->want_out = 1;
    c->state = ST_TCP;
    c->deadline = now_ms() + opt.connect_timeout * 1000;
    if (!c->returning) connecting.in_flight += 1;
}

static void start_connect(conn *c, int role, int index) {
    memset(c, 0, sizeof *c);
    c->role = role;
    c->index = index;
    c->close_code = -1;
    c->seq = -1;
    /* Publishers on the first endpoint, subscribers round robin over all of them. */
    c->url = role == ROLE_PUB ? 0 : index % nendpoints;
    open_socket(c);
}

/* --mode reconnect: start the returns that are due; fail handshakes past the timeout. */
static void returns_tick(double now) {
    for (long i = 0; i < nsubs; i++) {
        conn *c = subs[i];
        if (c->state == ST_WAIT && now >= c->reconnect_at) {
            open_socket(c);
        } else if (c->returning && c->state > ST_FREE && c->state < ST_OPEN &&
                   now >= c->deadline) {
            conn_lost(c, 1006);
            conn_release(c);
        }
    }
}

/* ------------------------------------------------ event loop and control */

static struct {
    void (*fn)(double now); /* the phase tick (setInterval of loadgen.js), or NULL */
    double interval, due;
} tick;

static struct {
    long lines; /* lines received and not yet taken by a mark */
    int partial, eof;
    char line[256], last[256]; /* the line being read, the last complete one */
    size_t len;
} control;

static void set_tick(void (*fn)(double), double interval) {
    tick.fn = fn;
    tick.interval = interval;
    tick.due = now_ms() + interval;
}

static void on_stdin(void) {
    char buf[4096];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) return; /* EAGAIN or EINTR */
    if (n == 0) {
        control.eof = 1;
        control.lines += control.partial; /* readline emits a last unterminated line */
        control.partial = 0;
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            control.lines += 1;
            control.partial = 0;
            control.line[control.len] = 0;
            memcpy(control.last, control.line, control.len + 1);
            control.len = 0;
        } else {
            control.partial = 1;
            if (control.len < sizeof control.line - 1) control.line[control.len++] = buf[i];
        }
    }
}

/* One turn of the loop: run the tick if due, wait for sockets until `wake_at` or the
 * next tick (whichever is first), handle every ready socket. */
static void poll_once(double wake_at) {
    static struct epoll_event events[1024];
    double now = now_ms();
    if (tick.fn && now >= tick.due) {
        tick.fn(now);
        tick.due = now + tick.interval; /* like Node's setInterval: no catching up */
    }
    double until = tick.fn && tick.due < wake_at ? tick.due : wake_at;
    double wait = until - now_ms();
    int timeout = wait <= 0 ? 0 : wait > 1000 ? 1000 : (int)ceil(wait);
    int n = epoll_wait(epoll_fd, events, 1024, timeout);
    for (int i = 0; i < n; i++) {
        conn *c = events[i].data.ptr;
        uint32_t ev = events[i].events;
        if (!c) {
            on_stdin();
            continue;
        }
        if (gone(c)) continue; /* closed by an earlier event of this batch */
        if (c->state == ST_TCP) {
            on_tcp_connected(c);
        } else {
            if (ev & EPOLLOUT) conn_flush(c);
            if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
        }
        if (gone(c)) conn_release(c);
    }
}

static void sleep_ms(double ms) {
    double until = now_ms() + ms;
    while (now_ms() < until) poll_once(until);
}

/* {"mark": name, ...extra} on stdout, then wait for one line on stdin. The sockets and
 * the tick keep running meanwhile. `extra` is JSON members without braces, or NULL. */
static void mark(const char *name, const char *extra) {
    if (!opt.control) return;
    printf("{\"mark\":\"%s\"%s%s}\n", name, extra ? "," : "", extra ? extra : "");
    fflush(stdout);
    while (control.lines == 0) {
        if (control.eof) fail("the control channel (stdin) closed");
        poll_once(now_ms() + 1000);
    }
    control.lines -= 1;
}

/* connectAll of loadgen.js: at most --connect-concurrency handshakes in flight. */
static void connect_all(conn *first, int role, long count) {
    long concurrency = (long)fmin(opt.connect_concurrency, (double)count), next = 0;
    double last_scan = 0;
    connecting.in_flight = connecting.failed = 0;
    if (concurrency < 1) return;
    while (next < count || connecting.in_flight > 0) {
        while (connecting.in_flight < concurrency && next < count) {
            start_connect(&first[next], role, (int)next);
            next++;
        }
        double now = now_ms();
        if (now - last_scan >= 10) { /* handshakes past --connect-timeout fail */
            last_scan = now;
            for (long i = 0; i < next; i++) {
                conn *c = &first[i];
                if (c->state > ST_FREE && c->state < ST_OPEN && now >= c->deadline) {
                    conn_lost(c, 1006);
                    conn_release(c);
                }
            }
        }
        poll_once(now + 10);
    }
}

static void drain(double timeout_ms) {
    double until = now_ms() + timeout_ms;
    while (st.completed < st.published && now_ms() < until) {
        advance_completed(now_ms());
        sleep_ms(10);
    }
}

/* ------------------------------------------------------------------ phases */

typedef struct {
    double t, cpu;
    uint64_t deliveries, published, lost;
} snapshot;

typedef struct {
    double seconds, events_per_s, deliveries_per_s, loadgen_cpu_pct, window;
    double target_events_per_s; /* steady only; < 0 elsewhere */
    uint64_t events_published, deliveries, lost_events;
    histogram *latency;
} phase;

static snapshot take_snapshot(void) {
    return (snapshot){now_ms(), cpu_seconds(), st.deliveries, st.published, st.lost};
}

static phase run_phase(const char *name, double seconds, void (*fn)(double), double interval) {
    char mark_name[64];
    histogram *h = histogram_new();
    set_tick(fn, interval); /* before the mark, as loadgen.js starts its setInterval */
    snprintf(mark_name, sizeof mark_name, "%s_start", name);
    mark(mark_name, NULL);
    st.histogram = h;
    snapshot a = take_snapshot();
    sleep_ms(seconds * 1000);
    snapshot b = take_snapshot();
    st.histogram = NULL;
    snprintf(mark_name, sizeof mark_name, "%s_end", name);
    mark(mark_name, NULL);
    tick.fn = NULL;
    double secs = (b.t - a.t) / 1000;
    return (phase){
        .seconds = fixed(secs, 3),
        .events_published = b.published - a.published,
        .events_per_s = fixed((double)(b.published - a.published) / secs, 1),
        .deliveries = b.deliveries - a.deliveries,
        .deliveries_per_s = round((double)(b.deliveries - a.deliveries) / secs),
        .lost_events = b.lost - a.lost,
        .latency = h,
        .loadgen_cpu_pct = fixed(100 * (b.cpu - a.cpu) / secs, 1),
        .window = win.size,
        .target_events_per_s = -1,
    };
}

static void sb_phase(sbuf *b, const phase *p) {
    sb_add(b, "{\"seconds\":", 11);
    sb_num(b, p->seconds);
    sb_printf(b, ",\"events_published\":%llu,\"events_per_s\":",
              (unsigned long long)p->events_published);
    sb_num(b, p->events_per_s);
    sb_printf(b, ",\"deliveries\":%llu,\"deliveries_per_s\":", (unsigned long long)p->deliveries);
    sb_num(b, p->deliveries_per_s);
    sb_printf(b, ",\"lost_events\":%llu,\"latency_ms\":", (unsigned long long)p->lost_events);
    sb_histogram(b, p->latency);
    sb_add(b, ",\"loadgen_cpu_pct\":", 19);
    sb_num(b, p->loadgen_cpu_pct);
    sb_add(b, ",\"window\":", 10);
    sb_num(b, p->window);
    if (p->target_events_per_s >= 0) {
        sb_add(b, ",\"target_events_per_s\":", 23);
        sb_num(b, p->target_events_per_s);
    }
    sb_add(b, "}", 1);
}

typedef struct {
    long events, reached;
    double p50, max; /* of the reached ones; NAN when none */
} fanout_figures;

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Single events, one at a time: how long until the last subscriber has each. */
static fanout_figures run_fanout(void) {
    long wanted = opt.fanout_events > 0 ? (long)ceil(opt.fanout_events) : 0;
    double *reached = calloc((size_t)wanted + 1, sizeof *reached);
    fanout_figures f = {0, 0, NAN, NAN};
    mark("fanout_start", NULL);
    double until_all = now_ms() + opt.fanout_seconds * 1000;
    for (long i = 0; i < wanted && now_ms() < until_all; i++) {
        uint64_t n = st.published;
        publish_one();
        double until = now_ms() + 5000;
        while (st.completed <= n && now_ms() < until) {
            sleep_ms(1);
            advance_completed(now_ms());
        }
        uint32_t slot = (uint32_t)(n & RING_MASK);
        f.events += 1;
        if (last_delivery[slot] > 0) reached[f.reached++] = last_delivery[slot] - sent_at[slot];
        sleep_ms(20);
    }
    mark("fanout_end", NULL);
    qsort(reached, (size_t)f.reached, sizeof *reached, compare_double);
    if (f.reached) {
        f.p50 = fixed(reached[f.reached / 2], 2);
        f.max = fixed(reached[f.reached - 1], 2);
    }
    free(reached);
    return f;
}

/* ------------------------------------------------------------------ result */

static void sb_num_or_null(sbuf *b, double x) {
    if (isnan(x)) sb_add(b, "null", 4);
    else sb_num(b, x);
}

static int compare_int(const void *a, const void *b) {
    return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

static void sb_diagnostics(sbuf *b) {
    /* Which publishes never completed, and how the subscribers' counts spread. */
    sb_add(b, "\"incomplete_events\":[", 21);
    int stuck = 0;
    for (uint64_t n = st.completed; n < st.published && stuck < 5; n++, stuck++) {
        uint32_t slot = (uint32_t)(n & RING_MASK);
        sb_printf(b, "%s{\"n\":%llu,\"delivered\":%u,\"age_ms\":", stuck ? "," : "",
                  (unsigned long long)n, delivered[slot]);
        sb_num(b, round(now_ms() - sent_at[slot]));
        sb_add(b, "}", 1);
    }
    sb_add(b, "],\"subscribers_received\":", 25);
    if (nsubs == 0) {
        sb_add(b, "null", 4);
    } else {
        uint64_t most = 0, least = UINT64_MAX;
        long behind = 0;
        for (long i = 0; i < nsubs; i++) {
            if (subs[i]->received > most) most = subs[i]->received;
            if (subs[i]->received < least) least = subs[i]->received;
        }
        for (long i = 0; i < nsubs; i++) behind += subs[i]->received < most;
        sb_printf(b, "{\"min\":%llu,\"max\":%llu,\"behind\":%ld}", (unsigned long long)least,
                  (unsigned long long)most, behind);
    }
    /* Close codes ascending, as JavaScript orders integer keys. */
    int *codes = malloc(((size_t)nsubs + 1) * sizeof *codes);
    long ncodes = 0;
    for (long i = 0; i < nsubs; i++)
        if (subs[i]->close_code >= 0) codes[ncodes++] = subs[i]->close_code;
    qsort(codes, (size_t)ncodes, sizeof *codes, compare_int);
    sb_add(b, ",\"close_codes\":{", 16);
    for (long i = 0; i < ncodes;) {
        long j = i;
        while (j < ncodes && codes[j] == codes[i]) j++;
        sb_printf(b, "%s\"%d\":%ld", i ? "," : "", codes[i], j - i);
        i = j;
    }
    free(codes);
    sb_add(b, "},\"publisher_closed\":", 21);
    if (st.publisher_closed < 0) sb_add(b, "null", 4);
    else sb_printf(b, "%d", st.publisher_closed);
}

static void print_result(double started, const char *connect_json, const phase *saturate,
                         const phase *steady_phase, const fanout_figures *f) {
    sbuf b = {0};
    sb_add(&b, "{\"result\":{\"target\":", 20);
    sb_json_str(&b, opt.target);
    sb_add(&b, ",", 1);
    sb_diagnostics(&b);
    sb_add(&b, ",\"url\":", 7);
    sb_json_str(&b, opt.url);
    sb_add(&b, ",\"clients\":", 11);
    sb_num(&b, opt.clients);
    sb_add(&b, ",\"publishers\":", 14);
    sb_num(&b, opt.publishers);
    sb_printf(&b, ",\"connect\":{%s},\"saturate\":", connect_json);
    sb_phase(&b, saturate);
    sb_add(&b, ",\"steady\":", 10);
    sb_phase(&b, steady_phase);
    sb_printf(&b, ",\"fanout\":{\"events\":%ld,\"reached_all\":%ld,\"last_client_ms_p50\":",
              f->events, f->reached);
    sb_num_or_null(&b, f->p50);
    sb_add(&b, ",\"last_client_ms_max\":", 22);
    sb_num_or_null(&b, f->max);
    sb_printf(&b, "},\"subscribers_closed\":%ld,\"publisher_refused\":{", st.closed_subscribers);
    for (int i = 0; i < nrefused; i++) {
        if (i) sb_add(&b, ",", 1);
        sb_json_str(&b, refused[i].code);
        sb_printf(&b, ":%ld", refused[i].count);
    }
    sb_add(&b, "},\"wall_seconds\":", 17);
    sb_num(&b, fixed((now_ms() - started) / 1000, 1));
    sb_add(&b, ",\"loadgen\":\"c\"}}\n", 17);
    fwrite(b.p, 1, b.len, stdout);
    fflush(stdout);
    sb_free(&b);
}

/* -------------------------------------------------------------------- setup */

static void parse_options(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *key = strncmp(argv[i], "--", 2) == 0 ? argv[i] + 2 : argv[i];
        size_t k = 0, count = sizeof OPTIONS / sizeof OPTIONS[0];
        while (k < count && strcmp(OPTIONS[k].name, key) != 0) k++;
        if (k == count) fail("unknown option --%s", key);
        if (OPTIONS[k].kind == O_FLAG) {
            *(int *)OPTIONS[k].ptr = 1;
            continue;
        }
        if (++i >= argc) fail("--%s needs a value", key);
        if (OPTIONS[k].kind == O_STR) {
            *(const char **)OPTIONS[k].ptr = argv[i];
        } else {
            char *end;
            double value = strtod(argv[i], &end);
            if (end == argv[i] || *end) fail("--%s: not a number: %s", key, argv[i]);
            *(double *)OPTIONS[k].ptr = value;
        }
    }
    if (!*opt.pub_token) opt.pub_token = opt.token;
    if (opt.publishers < 1) fail("--publishers must be at least 1");
    if (strcmp(opt.mode, "fanout") == 0) mode = M_FANOUT;
    else if (strcmp(opt.mode, "join") == 0) mode = M_JOIN;
    else if (strcmp(opt.mode, "reconnect") == 0) mode = M_RECONNECT;
    else fail("unknown mode %s (fanout, join or reconnect)", opt.mode);
    if (strcmp(opt.target, "townhall") == 0) target_kind = T_TOWNHALL;
    else if (strcmp(opt.target, "socketio") == 0) target_kind = T_SOCKETIO;
    else fail("unknown target %s (townhall or socketio)", opt.target);
    if (mode == M_RECONNECT && target_kind != T_TOWNHALL)
        fail("--mode reconnect speaks the townhall protocol (resume) only");
    if (target_kind == T_SOCKETIO && strcmp(opt.sio_client, "lib") == 0)
        fail("--sio-client lib needs the Node load generator (bench/loadgen/loadgen.js)");
}

/* ws://host[:port]/path (townhall) or http://host[:port] (socketio): resolve the address
 * and prepare both roles' upgrade requests of endpoint `index`. */
static void setup_endpoint(int index, const char *url) {
    const char *rest;
    if (strncmp(url, "ws://", 5) == 0) rest = url + 5;
    else if (strncmp(url, "http://", 7) == 0) rest = url + 7;
    else fail("unsupported URL %s (ws:// or http://; no TLS)", url);
    size_t hostport_len = strcspn(rest, "/?");
    char hostport[256], host[256], port[16] = "80";
    if (hostport_len == 0 || hostport_len >= sizeof hostport) fail("bad URL %s", url);
    memcpy(hostport, rest, hostport_len);
    hostport[hostport_len] = 0;
    strcpy(host, hostport);
    char *colon = strrchr(host, ':');
    if (colon && !strchr(colon, ']')) {
        snprintf(port, sizeof port, "%s", colon + 1);
        *colon = 0;
    }
    if (host[0] == '[') { /* [v6]:port */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = 0;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *found;
    int rc = getaddrinfo(host, port, &hints, &found);
    if (rc != 0) fail("cannot resolve %s: %s", host, gai_strerror(rc));
    memcpy(&endpoints[index].addr, found->ai_addr, found->ai_addrlen);
    endpoints[index].addr_len = found->ai_addrlen;
    freeaddrinfo(found);

    const char *path = rest + hostport_len;
    for (int role = ROLE_PUB; role <= ROLE_SUB; role++) {
        sbuf *r = &endpoints[index].upgrade_request[role];
        sb_add(r, "GET ", 4);
        if (target_kind == T_TOWNHALL) {
            sb_printf(r, "%s", *path ? path : "/");
        } else { /* the base URL without its trailing slash, then the engine.io path */
            size_t n = strlen(path);
            if (n && path[n - 1] == '/') n--;
            sb_printf(r, "%.*s/socket.io/?EIO=4&transport=websocket&role=%s", (int)n, path,
                      ROLE_NAME[role]);
        }
        /* No Sec-WebSocket-Extensions: no permessage-deflate, as `ws` with it disabled. */
        sb_printf(r, " HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n", hostport);
    }
}

/* --url, or every URL of --urls (comma-separated), then the hello prefixes. */
static void setup_url(void) {
    if (!*opt.urls) {
        setup_endpoint(0, opt.url);
        nendpoints = 1;
    } else {
        char *copy = strdup(opt.urls), *save = NULL;
        for (char *u = strtok_r(copy, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
            if (nendpoints == MAX_URLS) fail("at most %d URLs", MAX_URLS);
            setup_endpoint(nendpoints++, u);
        }
        free(copy);
        if (!nendpoints) fail("--urls holds no URL");
        opt.url = opt.urls;
    }
    /* {"type":"hello","data":{"token":T,"name":"<role><index>"}}, up to the name. */
    sb_add(&hello_prefix, "{\"type\":\"hello\",\"data\":{\"token\":", 32);
    sb_json_str(&hello_prefix, opt.token);
    sb_add(&hello_prefix, ",\"name\":\"", 9);
    sb_add(&hello_pub_prefix, "{\"type\":\"hello\",\"data\":{\"token\":", 32);
    sb_json_str(&hello_pub_prefix, opt.pub_token);
    sb_add(&hello_pub_prefix, ",\"name\":\"", 9);
    sb_json_chars(&command_json, opt.command, strlen(opt.command));
    sb_add(&command_json, "", 1); /* NUL-terminated for printf */
}

static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) { /* RLIM_INFINITY is refused: try 1 M */
            rl.rlim_cur = 1 << 20;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
}

static void setup(void) {
    long total = (long)ceil(opt.publishers) + (long)ceil(opt.clients);
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    rng_state ^= (uint32_t)getpid() * 2654435761u ^ (uint32_t)monotonic_ms();
    if (!rng_state) rng_state = 1;
    setup_url();
    storm.back_ms = histogram_new();
    storm.welcome_ms = histogram_new();
    sent_at = calloc(RING, sizeof *sent_at);
    last_delivery = calloc(RING, sizeof *last_delivery);
    delivered = calloc(RING, sizeof *delivered);
    conns = calloc((size_t)total + 1, sizeof *conns);
    pubs = calloc((size_t)total + 1, sizeof *pubs);
    subs = calloc((size_t)total + 1, sizeof *subs);
    scratch = malloc(SCRATCH_SIZE);
    if (!sent_at || !last_delivery || !delivered || !conns || !pubs || !subs || !scratch)
        fail("out of memory");
    if ((epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0) fail("epoll_create1: %s", strerror(errno));
    if (opt.control) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, STDIN_FILENO, &ev) < 0)
            fail("--control needs stdin to be a pipe: %s", strerror(errno));
    }
}

/* Close every connection (a close frame each), then leave after 200 ms as loadgen.js. */
static void close_all(void) {
    static const char normal[2] = {0x03, (char)0xe8}; /* 1000 */
    for (long i = 0; i < nsubs; i++)
        if (subs[i]->state == ST_OPEN) send_frame(subs[i], 0x8, normal, 2);
    for (long i = 0; i < npubs; i++)
        if (pubs[i]->state == ST_OPEN) send_frame(pubs[i], 0x8, normal, 2);
    sleep_ms(200);
}

/* The connect phase: how many, how long, each subscriber's TCP connect → welcome, the
 * curve (seconds from the start until 10 %, 20 %, … 100 % were welcomed: a cost per
 * join that grows with the room bends it upwards), and the size of the welcomes. */
static void sb_connect(sbuf *b, double t0) {
    sb_printf(b, "\"connected\":%ld,\"failed\":%ld,\"seconds\":", nsubs, connecting.failed);
    sb_num(b, fixed((now_ms() - t0) / 1000, 2));
    sb_add(b, ",\"welcome_ms\":", 14);
    sb_histogram(b, storm.welcome_ms);
    sb_add(b, ",\"curve_s\":[", 12);
    for (int decile = 1; decile <= 10 && nsubs; decile++) {
        long k = (long)ceil((double)nsubs * decile / 10) - 1;
        if (decile > 1) sb_add(b, ",", 1);
        sb_num(b, fixed((subs[k]->welcomed_at - t0) / 1000, 3));
    }
    size_t most = 0;
    double sum = 0;
    for (long i = 0; i < nsubs; i++) {
        sum += (double)subs[i]->welcome_bytes;
        if (subs[i]->welcome_bytes > most) most = subs[i]->welcome_bytes;
    }
    sb_add(b, "],\"welcome_bytes\":{\"mean\":", 26);
    sb_num(b, nsubs ? round(sum / (double)nsubs) : 0);
    sb_printf(b, ",\"max\":%zu}", most);
    sb_add(b, "", 1); /* NUL-terminated for the mark */
    b->len -= 1;
}

static void print_join_result(double started, const char *connect_json) {
    sbuf b = {0};
    sb_add(&b, "{\"result\":{\"mode\":\"join\",\"target\":", 34);
    sb_json_str(&b, opt.target);
    sb_add(&b, ",\"url\":", 7);
    sb_json_str(&b, opt.url);
    sb_add(&b, ",\"clients\":", 11);
    sb_num(&b, opt.clients);
    sb_printf(&b, ",\"connect\":{%s},\"subscribers_closed\":%ld,\"wall_seconds\":", connect_json,
              st.closed_subscribers);
    sb_num(&b, fixed((now_ms() - started) / 1000, 1));
    sb_add(&b, ",\"loadgen\":\"c\"}}\n", 17);
    fwrite(b.p, 1, b.len, stdout);
    fflush(stdout);
    sb_free(&b);
}

static void reconnect_tick(double now) {
    steady_tick(now);
    returns_tick(now);
}

static long returning_count(void) {
    long n = 0;
    for (long i = 0; i < nsubs; i++) n += subs[i]->returning;
    return n;
}

/* --mode reconnect: publish at --rate, kill a worker (the driver does, at the mark
 * "kill"), watch every dropped subscriber come back and every seq of every subscriber. */
static void run_reconnect(double started, const char *connect_json) {
    histogram *before = histogram_new(), *after = histogram_new();
    steady.rate = opt.rate;
    set_tick(reconnect_tick, 2);
    st.histogram = before;
    snapshot a = take_snapshot();
    sleep_ms(opt.before_kill * 1000);
    snapshot b = take_snapshot();
    /* Armed before the mark: the driver kills, then answers, and the drops may be read
     * first. The kill's own time comes with the answer ("go <CLOCK_MONOTONIC ms>"). */
    storm.armed = 1;
    storm.killed_at = now_ms();
    st.histogram = after;
    mark("kill", NULL);
    double killed = control.last[0] == 'g' ? strtod(control.last + 2, NULL) : 0;
    if (killed > 0) storm.killed_at = killed - clock_origin;
    sleep_ms(storm.killed_at + opt.after_kill * 1000 - now_ms());
    snapshot c = take_snapshot();
    st.histogram = NULL;
    double cap = now_ms() + 30000; /* the stragglers: at most 30 s more */
    while (returning_count() > 0 && now_ms() < cap) sleep_ms(10);
    set_tick(returns_tick, 2); /* no more publishing; what was published must arrive */
    drain(12000);
    advance_completed(now_ms() + 10001); /* what never arrived is lost */
    mark("end", NULL);

    sbuf r = {0};
    sb_add(&r, "{\"result\":{\"mode\":\"reconnect\",\"target\":", 39);
    sb_json_str(&r, opt.target);
    sb_add(&r, ",", 1);
    sb_diagnostics(&r);
    sb_add(&r, ",\"urls\":", 8);
    sb_json_str(&r, opt.url);
    sb_add(&r, ",\"clients\":", 11);
    sb_num(&r, opt.clients);
    sb_printf(&r, ",\"connect\":{%s},\"rate\":", connect_json);
    sb_num(&r, opt.rate);
    sb_printf(&r, ",\"before\":{\"seconds\":");
    sb_num(&r, fixed((b.t - a.t) / 1000, 3));
    sb_printf(&r, ",\"deliveries\":%llu,\"latency_ms\":", (unsigned long long)(b.deliveries - a.deliveries));
    sb_histogram(&r, before);
    sb_printf(&r, "},\"after\":{\"seconds\":");
    sb_num(&r, fixed((c.t - b.t) / 1000, 3));
    sb_printf(&r, ",\"deliveries\":%llu,\"latency_ms\":", (unsigned long long)(c.deliveries - b.deliveries));
    sb_histogram(&r, after);
    sb_printf(&r, "},\"storm\":{\"dropped\":%ld,\"back\":%ld,\"resumed\":%ld,\"snapshots\":%ld,"
                  "\"resyncs\":%ld,\"refused\":%ld,\"attempts\":%ld,\"still_away\":%ld,"
                  "\"dropped_before_kill\":%ld,\"back_ms\":",
              storm.dropped, storm.back, storm.resumed, storm.snapshots, storm.resyncs, storm.refused,
              storm.attempts, returning_count(), storm.dropped_before);
    sb_histogram(&r, storm.back_ms);
    sb_add(&r, ",\"all_back_ms\":", 15);
    sb_num_or_null(&r, storm.back ? fixed(storm.last_back - storm.killed_at, 2) : NAN);
    sb_printf(&r, "},\"seq\":{\"gaps\":%lld,\"missing\":%lld,\"duplicates\":%lld},"
                  "\"events_published\":%llu,\"lost_events\":%llu,\"deliveries\":%llu,"
                  "\"subscribers_closed\":%ld,\"wall_seconds\":",
              storm.gaps, storm.missing, storm.dups, (unsigned long long)st.published,
              (unsigned long long)st.lost, (unsigned long long)st.deliveries, st.closed_subscribers);
    sb_num(&r, fixed((now_ms() - started) / 1000, 1));
    sb_add(&r, ",\"loadgen\":\"c\"}}\n", 17);
    fwrite(r.p, 1, r.len, stdout);
    fflush(stdout);
    sb_free(&r);
}

int main(int argc, char **argv) {
    clock_origin = monotonic_ms();
    parse_options(argc, argv);
    setup();
    double started = now_ms();
    long npub_wanted = (long)ceil(opt.publishers), nsub_wanted = (long)ceil(opt.clients);

    connect_all(conns, ROLE_PUB, npub_wanted);
    if (npubs != npub_wanted) fail("a publisher could not connect");
    mark("baseline", NULL);

    double t0 = now_ms();
    connect_all(conns + npub_wanted, ROLE_SUB, nsub_wanted);
    st.subscribers = nsubs;
    sbuf connect_json = {0};
    sb_connect(&connect_json, t0);
    mark("idle", connect_json.p);
    if (st.subscribers == 0) fail("no subscriber could connect");
    if (mode == M_JOIN) {
        print_join_result(started, connect_json.p);
        close_all();
        return 0;
    }
    if (mode == M_RECONNECT) {
        run_reconnect(started, connect_json.p);
        close_all();
        return 0;
    }

    /* Warm up at saturation so that caches and buffers settle before measuring. */
    win.size = opt.min_window;
    set_tick(pump_saturated, 1);
    sleep_ms(opt.warmup * 1000);
    tick.fn = NULL;
    phase saturate = run_phase("saturate", opt.duration, pump_saturated, 1);
    drain(30000);

    /* Steady: open loop at a fraction of the saturated event rate. */
    steady.rate = fmax(0.2, saturate.events_per_s * opt.steady_fraction);
    phase steady_phase = run_phase("steady", opt.steady_duration, steady_tick, 2);
    steady_phase.target_events_per_s = fixed(steady.rate, 2);
    drain(30000);

    fanout_figures fanout = run_fanout();
    print_result(started, connect_json.p, &saturate, &steady_phase, &fanout);
    close_all();
    return 0;
}
