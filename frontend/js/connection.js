// The WebSocket client of protocol v1 (SPEC §3): hello, welcome, events, acks, resume.
//
// One Connection lives as long as the page. After a drop it reconnects by itself with the
// personal resume token and the last (epoch, seq), so missed events are replayed and the
// page is never reloaded. Commands sent while offline wait and go out after the welcome;
// a command already sent is resent with the same id, which the server applies once.

const HEARTBEAT_MS = 15000;
const SILENCE_MS = 40000;
const BACKOFF_MS = [250, 500, 1000, 2000, 3000];
// Refusals after which reconnecting cannot help: the link is dead or the person removed.
const FATAL = new Set(["bad_token", "name_required", "invalid_name", "removed", "banned", "room_locked", "session_archived",
  "state_lost", "roll_only", "name_reserved", "room_full", "rate_limited"]);

/** Where the browser keeps its personal resume token for the link ``token``. */
export function resumeKey(token) {
  return `townhall:resume:${token}`;
}

export function newId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

export class Connection {
  /**
   * @param {object} opts
   * @param {string} opts.token the link token from the page URL
   * @param {string|undefined} opts.name the display name typed on the join screen
   * @param {(welcome: object) => void} opts.onWelcome a full welcome with a snapshot
   * @param {(event: object) => void} opts.onEvent one event, in seq order
   * @param {(status: string, detail?: string) => void} opts.onStatus connecting | live | reconnecting | closed
   */
  constructor({ token, name, onWelcome, onEvent, onStatus }) {
    this.linkToken = token;
    this.name = name;
    this.onWelcome = onWelcome;
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    // The personal resume token is kept per link (one town hall, one role) in
    // localStorage: every tab of this browser and every reload is the same person.
    this.storeKey = resumeKey(token);
    const saved = JSON.parse(localStorage.getItem(this.storeKey) || "null");
    this.resumeToken = saved?.resume_token ?? null;
    this.epoch = null; // known only once a snapshot is held in memory
    this.seq = -1;
    this.pending = new Map(); // id -> {message, resolve, reject, sent}
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.welcomed = false;
    this.lastHeard = Date.now();
    window.addEventListener("offline", () => this.drop("offline"));
    window.addEventListener("online", () => this.reconnectNow());
    setInterval(() => this.heartbeat(), HEARTBEAT_MS);
  }

  start() {
    this.open();
  }

  open() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws`);
    this.ws = ws;
    this.welcomed = false;
    this.onStatus(this.epoch === null ? "connecting" : "reconnecting");
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      const data = { token: this.resumeToken || this.linkToken };
      if (!this.resumeToken && this.name) data.name = this.name;
      if (this.resumeToken && this.epoch !== null) data.resume = { epoch: this.epoch, seq: this.seq };
      ws.send(JSON.stringify({ type: "hello", data }));
    });
    ws.addEventListener("message", (message) => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      let parsed;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      for (const item of Array.isArray(parsed) ? parsed : [parsed]) this.receive(item);
    });
    ws.addEventListener("close", (close) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (this.stopped) return; // stop() has told the page already
      // 4003: the token was refused; 4004: the server does not accept this page's origin
      // (it is opened at an address the server was not told about). Reconnecting cannot
      // help either. Other 4xxx codes, and network drops, resume.
      if (close.code === 4003) this.stop(this.fatalCode || "bad_token");
      else if (close.code === 4004) this.stop("origin_not_allowed");
      else this.scheduleReconnect();
    });
  }

  receive(message) {
    switch (message.type) {
      case "welcome":
        return this.welcome(message);
      case "event":
        if (message.seq <= this.seq) return undefined; // already applied (replay overlap)
        if (this.seq >= 0 && message.seq > this.seq + 1 && message.seq !== this.gapAt) {
          // Every seq reaches every client, so a jump means a loss: resume from our seq
          // and let the server replay what is missing, in order. (The same jump twice is
          // the server's own order, not a loss: take it rather than loop.)
          this.gapAt = message.seq;
          return this.drop("gap");
        }
        this.seq = message.seq;
        this.remember();
        return this.onEvent(message);
      case "ack":
        return this.settle(message.id, true, message);
      case "error":
        return this.refused(message);
      case "resync":
        this.epoch = null; // the next welcome carries a fresh snapshot
        return undefined;
      default:
        return undefined;
    }
  }

  welcome(message) {
    this.attempt = 0;
    this.welcomed = true;
    if (message.resume_token) this.resumeToken = message.resume_token;
    if (!(message.resumed && message.epoch === this.epoch)) {
      this.onWelcome(message);
    }
    this.epoch = message.epoch;
    this.seq = message.seq;
    this.remember();
    this.onStatus("live");
    for (const [, entry] of this.pending) this.transmit(entry);
  }

  refused(message) {
    if (message.id && this.pending.has(message.id)) {
      return this.settle(message.id, false, message);
    }
    if (FATAL.has(message.code)) {
      // Reconnecting cannot help. A refused resume token is forgotten, so that a reload
      // starts again from the link (a removed person is refused there too).
      if (message.code === "bad_token") localStorage.removeItem(this.storeKey);
      this.stop(message.code);
    }
    return undefined;
  }

  settle(id, ok, message) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (ok) entry.resolve(message);
    else entry.reject(Object.assign(new Error(message.message || message.code), message));
  }

  /** Sends a command; resolves with the ack, rejects with the error {code, message}. */
  send(type, data = {}) {
    const message = { type, id: newId(), data };
    return new Promise((resolve, reject) => {
      const entry = { message, resolve, reject };
      this.pending.set(message.id, entry);
      if (this.welcomed) this.transmit(entry);
    });
  }

  transmit(entry) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(entry.message));
  }

  remember() {
    if (!this.resumeToken) return;
    localStorage.setItem(this.storeKey, JSON.stringify({ resume_token: this.resumeToken }));
  }

  heartbeat() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastHeard > SILENCE_MS) return this.drop("silent");
    if (this.welcomed) this.ws.send(JSON.stringify({ type: "ping" }));
    return undefined;
  }

  /** The network is gone: stop using this socket now instead of waiting for TCP to notice. */
  drop() {
    if (!this.ws) return;
    const ws = this.ws;
    this.ws = null;
    try {
      ws.close();
    } catch {
      // already closing
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.welcomed = false;
    this.onStatus("reconnecting");
    clearTimeout(this.timer);
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.timer = setTimeout(() => this.open(), delay);
  }

  reconnectNow() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    this.open();
  }

  stop(reason) {
    this.stopped = true;
    this.fatalCode = this.fatalCode || reason;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
    this.onStatus("closed", reason);
  }
}
