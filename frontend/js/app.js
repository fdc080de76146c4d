// Entry point: reads ?token= (and ?view=projector), asks a name when needed, connects,
// and mounts the view that fits the role the server gives in welcome.you.role.

import { LIMITS } from "./limits.js";
import { mountAnnouncer, announce } from "./announce.js";
import { observeServerTime } from "./clock.js";
import { Connection, resumeKey } from "./connection.js";
import { h, field, swap } from "./dom.js";
import { t, has, preferredLanguage, setLanguage, language, languages, onLanguage } from "./i18n.js";
import { applyEvent, fromWelcome } from "./state.js";
import { mountFacilitator } from "./views/facilitator.js";
import { mountParticipant } from "./views/participant.js";
import { mountProjector } from "./views/projector.js";
import { mountEnded } from "./views/ended.js";
import { loadMeeting, meeting, onMeeting } from "./meeting.js";
import { formatZoned, viewerZone } from "./i18n.js";
import { statusBanner } from "./parts/banner.js";
import "./formats.js"; // issue 15: battles, dot votes, proposals, cheering

const params = new URLSearchParams(location.search);
const LINK_KEY = "townhall:link";
// The link's token leaves the address bar as soon as it is read (browser history, a
// shared screen, a copied address); this tab keeps it for reloads.
const token = params.get("token") || sessionStorage.getItem(LINK_KEY);
if (params.has("token")) {
  sessionStorage.setItem(LINK_KEY, token);
  params.delete("token");
  const rest = params.toString();
  history.replaceState(history.state, "", location.pathname + (rest ? `?${rest}` : "") + location.hash);
}
const wanted = params.get("view") || params.get("role");
const NAME_KEY = `townhall:name:${token}`;

const app = {
  state: null,
  status: "connecting",
  closedReason: null,
  view: null,
  conn: null,
  seen: [], // seqs of the events applied, in order (the browser tests read it)
  renderQueued: false,
  changed: null, // names of the events since the last render; null: redraw everything
};

/** Sends a command; a refusal is shown and announced, never swallowed. */
function send(type, data = {}) {
  return app.conn.send(type, data).catch((error) => {
    showError(error);
    throw error;
  });
}

export function errorText(error) {
  const key = `error.${error.code}`;
  return has(key) ? t(key) : t("error.generic", { code: error.code || "?" });
}

function showError(error) {
  const box = document.getElementById("errors");
  const text = errorText(error);
  swap(box, h("p", { class: "error" }, text));
  announce(text, { urgent: true });
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => swap(box), 8000);
}

function render() {
  app.renderQueued = false;
  if (app.ended) {
    swap(document.getElementById("banner"));
    renderChrome();
    return;
  }
  swap(document.getElementById("banner"), statusBanner(app));
  // Refused before any welcome: the banner says why; "Connecting…" would be untrue.
  if (app.status === "closed" && !app.state) {
    document.getElementById("main").replaceChildren(...refusedPage(app.closedReason));
  }
  if (app.state) document.body.dataset.session = app.state.session.status;
  const changed = app.changed;
  app.changed = new Set();
  if (app.view && app.state) app.view.update(app.state, changed);
  renderChrome();
}

/** What the page says instead of a room it could not enter (beyond the banner). */
function refusedPage(reason) {
  if (reason !== "roll_only") return [];
  return [h("section", { class: "card", "data-refused": reason },
    h("h2", {}, t("rollonly.title")),
    h("p", {}, t("rollonly.text")))];
}

function scheduleRender() {
  if (app.renderQueued) return;
  app.renderQueued = true;
  requestAnimationFrame(render);
}

function renderChrome() {
  // AGPL-3.0 section 13: everyone using the server can get its source (/source).
  document.getElementById("source-link").textContent = t("footer.source");
  const record = app.state?.record;
  const shown = document.getElementById("record");
  if (record && record.head) {
    shown.textContent = t("footer.record", { seq: record.seq, head: record.head });
    shown.title = t("footer.record_help", { seq: record.seq });
    shown.hidden = false;
  } else shown.hidden = true;
  const title = app.state?.session.title || meeting()?.title || "";
  document.title = title ? `${title} · ${t("app.name")}` : t("app.name");
  document.getElementById("room-title").textContent = title || t("app.name");
  const role = app.state?.you.role || (app.ended ? meeting()?.role : null);
  document.getElementById("role").textContent = role ? t(`role.${wanted === "projector" ? "projector" : role}`) : "";
}

/** After the end (or when the server says the town hall is archived) every link shows this. */
function mountEndedView() {
  app.view?.destroy?.();
  app.conn?.stop("ended");
  app.ended = true;
  app.view = mountEnded(document.getElementById("main"), { token, role: app.state?.you.role });
  renderChrome();
}

function mountView() {
  const main = document.getElementById("main");
  const role = app.state.you.role;
  const ctx = { send, conn: app.conn, role, announce, errorText, you: app.state.you, token };
  app.view?.destroy?.();
  main.replaceChildren();
  if (wanted === "projector") app.view = mountProjector(main, ctx);
  else if (role === "facilitator" || role === "organiser") app.view = mountFacilitator(main, ctx);
  else app.view = mountParticipant(main, { ...ctx, readOnly: role === "observer" });
  document.body.dataset.view = wanted === "projector" ? "projector" : role;
}

function connect(name) {
  app.joining = false;
  app.conn = new Connection({
    token,
    name,
    onWelcome: (welcome) => {
      app.snapshots = (app.snapshots || 0) + 1; // a resumed welcome does not come here
      const first = !app.state;
      app.state = fromWelcome(welcome);
      app.changed = null;
      if (first || app.view?.role !== app.state.you.role) mountView();
      document.body.dataset.seq = String(welcome.seq);
      scheduleRender();
    },
    onEvent: (event) => {
      if (!app.state) return;
      observeServerTime(event.at);
      applyEvent(app.state, event);
      app.seen.push(event.seq);
      if (event.name === "participant.removed" && event.data?.participant === app.state.you.participant) {
        app.conn.stop("removed"); // never come back in through the shared link
      }
      if (app.seen.length > 2000) app.seen.splice(0, 1000);
      if (app.view?.onEvent) app.view.onEvent(app.state, event);
      app.changed?.add(event.name);
      // A change to this viewer (muted, admitted, removed...) is "me.<what>" for the parts:
      // most of them follow only that, not every join and leave of a big room.
      if (event.name.startsWith("participant.") && event.data?.participant === app.state.you.participant) {
        app.changed?.add(`me.${event.name.slice("participant.".length)}`);
      }
      document.body.dataset.seq = String(event.seq);
      scheduleRender();
    },
    onStatus: (status, reason) => {
      if (status === "closed" && reason === "session_archived") {
        loadMeeting(token, { refresh: true }).then(mountEndedView);
        return;
      }
      const naming = ["name_required", "invalid_name", "name_reserved"];
      if (status === "closed" && naming.includes(reason) && !app.state) {
        // A participant link: the server wants a (usable) display name before letting anyone in.
        app.conn = null;
        joinScreen(reason === "name_required" ? "" : t(`join.${reason}`));
        return;
      }
      const before = app.status;
      app.status = status;
      app.closedReason = reason || null;
      if (status === "reconnecting" && before === "live") announce(t("status.reconnecting"));
      if (status === "live" && before === "reconnecting") announce(t("status.back"));
      document.body.dataset.status = status;
      scheduleRender();
    },
  });
  app.conn.start();
}

function joinScreen(problem = "") {
  app.joining = true;
  const main = document.getElementById("main");
  const optional = wanted === "facilitator"; // the server names a nameless facilitator
  const input = h("input", { type: "text", name: "name", autocomplete: "nickname", required: !optional,
    maxlength: LIMITS.name, value: localStorage.getItem(NAME_KEY) || "" });
  const form = h("form", { class: "card join", onsubmit: (e) => {
    e.preventDefault();
    const name = input.value.trim();
    if (!name && !optional) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    if (name) localStorage.setItem(NAME_KEY, name);
    main.replaceChildren(h("p", { class: "card" }, t("status.connecting")));
    connect(name || undefined);
  } },
  h("h2", {}, t("join.title")),
  meetingLine(),
  h("p", {}, t("join.intro")),
  problem ? h("p", { class: "error", role: "alert" }, problem) : null,
  field(t("join.name"), input),
  h("button", { type: "submit", class: "primary" }, t("join.button")));
  main.replaceChildren(form);
  input.focus();
}

/** Which meeting the join form is for: its title and, while scheduled, its start. */
function meetingLine() {
  const info = meeting();
  if (!info) return null;
  return h("div", { class: "join-meeting" }, h("p", { class: "item-title" }, info.title),
    info.status === "scheduled" && info.starts_at
      ? h("p", { class: "muted" }, t("meeting.starts_at", { time: formatZoned(info.starts_at, viewerZone()) })) : null);
}

function noToken() {
  document.getElementById("main").replaceChildren(
    h("section", { class: "card" }, h("h2", {}, t("app.name")), h("p", {}, t("join.no_link"))));
}

function languageSwitch() {
  const host = document.getElementById("lang");
  const draw = () => {
    swap(host, ...languages().map((code) => h("button", {
      type: "button", lang: code, "data-k": `lang-${code}`,
      "aria-pressed": code === language() ? "true" : "false",
      onclick: () => setLanguage(code, { remember: true }),
    }, t(`lang.${code}`))));
    host.setAttribute("aria-label", t("lang.label"));
  };
  onLanguage(() => {
    draw();
    document.getElementById("skip").textContent = t("app.skip");
    if (app.ended) mountEndedView();
    else if (app.view) {
      mountView();
      app.changed = null;
      scheduleRender();
    } else if (!token) noToken();
    else if (app.joining || (!app.conn && (wanted === "participant" || wanted === "facilitator"))) joinScreen();
    renderChrome();
  });
}

async function main() {
  window.townhall = app; // for debugging and the browser tests
  mountAnnouncer(document);
  languageSwitch();
  await setLanguage(preferredLanguage());
  if (!token) return;
  onMeeting(() => {
    app.changed?.add("meeting.loaded");
    scheduleRender();
  });
  const info = await loadMeeting(token);
  if (info && (info.status === "ended" || info.status === "archived")) {
    mountEndedView();
    return;
  }
  // Someone who already joined in this tab comes straight back. Otherwise the page says
  // hello without a name: facilitator and observer links are let in at once, and a
  // participant link is refused with name_required, which brings up the join form.
  const saved = localStorage.getItem(resumeKey(token));
  if (!saved && (wanted === "participant" || wanted === "facilitator")) return;
  document.getElementById("main").replaceChildren(h("p", { class: "card" }, t("status.connecting")));
  connect(undefined);
}

main();
