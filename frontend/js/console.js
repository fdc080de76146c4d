// The organiser console (/console): sign in with an organiser key, list, create, edit,
// announce (links with "Copy link", QR codes and a printable handout), rotate links,
// export the minutes and delete. Everything goes through the REST API with the console's
// session cookie (HttpOnly, SameSite=Strict) and, on every change, its CSRF token.
// The key itself is sent once, in the body of the sign-in request, and never kept.

import { mountAnnouncer, announce } from "./announce.js";
import { h, field, swap, uid } from "./dom.js";
import { t, has, preferredLanguage, setLanguage, language, languages, onLanguage, formatZoned, viewerZone, plural } from "./i18n.js";
import { LIMITS } from "./limits.js";
import { FORMATS } from "./parts/room.js";

const ROLES = ["facilitator", "participant", "observer"];
const session = { csrf: null, admin: false, features: { access: false } };
let route = null;

// ---- the API ------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || "http_error";
    this.fields = body?.fields || null;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && session.csrf) headers["x-csrf-token"] = session.csrf;
  const response = await fetch(path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Upload one file (a PDF or an image) for a town hall; answers {url, filename, ...}. */
async function uploadFile(id, file) {
  const headers = { "content-type": file.type || "application/octet-stream" };
  if (session.csrf) headers["x-csrf-token"] = session.csrf;
  const query = new URLSearchParams({ filename: file.name });
  const response = await fetch(`/api/townhalls/${id}/uploads?${query}`, { method: "POST", headers,
    credentials: "same-origin", body: file });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function problem(error) {
  if (error.code === "unauthorized" && session.csrf) {
    session.csrf = null;
    go("");
    return t("console.error.signed_out");
  }
  const key = `console.error.${error.code}`;
  if (has(key)) return t(key);
  const known = `error.${error.code}`;
  if (has(known)) return t(known);
  if (error.fields) return error.fields.map((f) => `${fieldLabel(f.field)}: ${f.message}`).join("; ");
  return t("error.generic", { code: error.code });
}

function fieldLabel(name) {
  const key = `console.field.${String(name).split(".")[0]}`;
  return has(key) ? t(key) : name;
}

function showError(error) {
  const text = typeof error === "string" ? error : problem(error);
  swap(document.getElementById("errors"), h("p", { class: "error" }, text));
  announce(text, { urgent: true });
}

function clearError() {
  swap(document.getElementById("errors"));
}

// ---- time: a wall-clock time in an IANA zone <-> an instant --------------------------

function zoneParts(instant, zone) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
    .formatToParts(new Date(instant));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { y: get("year"), m: get("month"), d: get("day"), h: get("hour"), mi: get("minute"), s: get("second") };
}

function offsetMinutes(instant, zone) {
  const p = zoneParts(instant, zone);
  return Math.round((Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - instant) / 60000);
}

/** "2026-12-03T19:00" in zone -> "2026-12-03T19:00:00+09:00". */
export function zonedIso(local, zone) {
  const [date, time] = local.split("T");
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let offset = offsetMinutes(wall, zone);
  offset = offsetMinutes(wall - offset * 60000, zone); // once more across a DST change
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date}T${pad(hh)}:${pad(mm)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** An instant as the value of a datetime-local input, in zone. */
function localValue(iso, zone) {
  const p = zoneParts(Date.parse(iso), zone);
  const pad = (n) => String(n).padStart(2, "0");
  return `${p.y}-${pad(p.m)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}`;
}

function zones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Asia/Seoul", "Europe/Berlin", "America/New_York"];
  }
}

function when(th) {
  if (!th.starts_at) return t("console.no_start");
  const mine = viewerZone();
  const zone = th.timezone || mine;
  const here = formatZoned(th.starts_at, mine);
  return zone === mine ? here : `${here} · ${t("console.in_zone", { zone, time: formatZoned(th.starts_at, zone) })}`;
}

// ---- routing ------------------------------------------------------------------------

function go(hash) {
  if (location.hash.slice(1) === hash) render();
  else location.hash = hash;
}

window.addEventListener("hashchange", () => render());

async function render() {
  clearError();
  route = location.hash.slice(1);
  document.body.dataset.route = route.split("/")[0] || "list";
  drawTop();
  const main = document.getElementById("main");
  if (!session.csrf) return signInView(main);
  const [what, id, sub] = route.split("/");
  try {
    if (what === "new") return formView(main, null);
    if (what === "th" && sub === "edit") return formView(main, await api("GET", `/api/townhalls/${id}`));
    if (what === "th" && sub === "handout") return handoutView(main, id);
    if (what === "th") return detailView(main, id);
    return listView(main);
  } catch (error) {
    if (error.code === "not_found") return listView(main);
    showError(error);
    return undefined;
  }
}

function drawTop() {
  document.title = `${t("console.title")} · ${t("app.name")}`;
  document.getElementById("room-title").textContent = t("console.title");
  document.getElementById("role").textContent = session.csrf && session.admin ? t("console.admin") : "";
  document.getElementById("source-link").textContent = t("footer.source");
  document.getElementById("skip").textContent = t("app.skip");
  const actions = document.getElementById("top-actions");
  swap(actions, session.csrf ? h("button", { type: "button", class: "on-dark", "data-k": "sign-out", onclick: signOut },
    t("console.sign_out")) : null);
}

// ---- sign in and out ----------------------------------------------------------------

function signInView(main) {
  const key = h("input", { type: "password", name: "key", autocomplete: "off", spellcheck: "false", required: true,
    "data-k": "key" });
  const form = h("form", { class: "card join console-sign-in", onsubmit: async (e) => {
    e.preventDefault();
    if (!key.value.trim()) return key.focus();
    try {
      const answer = await api("POST", "/api/console/session", { key: key.value.trim() });
      key.value = "";
      Object.assign(session, { csrf: answer.csrf, admin: answer.admin });
      announce(t("console.signed_in"));
      go("");
      render();
    } catch (error) {
      key.setAttribute("aria-invalid", "true");
      showError(error.code === "unauthorized" ? t("console.error.bad_key") : problem(error));
      key.focus();
    }
    return undefined;
  } },
  h("h2", {}, t("console.sign_in_title")),
  h("p", {}, t("console.sign_in_intro")),
  field(t("console.key"), key, t("console.key_hint")),
  h("button", { type: "submit", class: "primary" }, t("console.sign_in")));
  swap(main, form);
  key.focus();
}

async function signOut() {
  try {
    await api("DELETE", "/api/console/session");
  } catch (error) {
    if (error.code !== "unauthorized") return showError(error);
  }
  session.csrf = null;
  announce(t("console.signed_out"));
  go("");
  return render();
}

// ---- the list -----------------------------------------------------------------------

async function listView(main) {
  const { townhalls } = await api("GET", "/api/townhalls");
  const groups = { upcoming: [], live: [], past: [] };
  for (const th of townhalls) {
    const group = th.status === "scheduled" ? "upcoming" : th.status === "live" ? "live" : "past";
    groups[group].push(th);
  }
  groups.upcoming.sort((a, b) => String(a.starts_at || "9").localeCompare(String(b.starts_at || "9")));
  const section = (name) => h("section", { class: "card th-group", "aria-labelledby": `group-${name}` },
    h("h2", { id: `group-${name}` }, t(`console.group.${name}`), " ",
      h("span", { class: "badge" }, String(groups[name].length))),
    groups[name].length ? h("ul", { class: "th-list" }, groups[name].map((th) => h("li", { class: "th-row" },
      h("a", { href: `#th/${th.id}`, class: "th-title" }, th.title),
      h("span", { class: "badge" }, t(`console.status.${th.status}`)),
      h("span", { class: "muted" }, th.status === "scheduled" ? when(th) : th.started_at ? formatZoned(th.started_at, th.timezone || viewerZone()) : ""))))
      : h("p", { class: "muted" }, t(`console.none.${name}`)));
  swap(main, h("div", { class: "console-list" },
    h("div", { class: "buttons" }, h("a", { class: "button primary", href: "#new", "data-k": "new" }, t("console.new"))),
    section("live"), section("upcoming"), section("past")));
}

// ---- create and edit ----------------------------------------------------------------

function formView(main, th) {
  const editing = Boolean(th);
  const zone = h("input", { type: "text", list: "zones", required: true, "data-k": "zone", autocomplete: "off",
    value: th?.timezone || viewerZone() });
  const zoneList = h("datalist", { id: "zones" }, zones().map((z) => h("option", { value: z })));
  const title = h("input", { type: "text", required: true, maxlength: LIMITS.title, value: th?.title || "", "data-k": "title" });
  const description = h("textarea", { rows: 3, maxlength: LIMITS.description, "data-k": "description" });
  description.value = th?.description || "";
  const lang = h("select", { "data-k": "language" }, languages().map((code) => h("option", { value: code,
    selected: (th?.language || language()) === code }, t(`lang.${code}`))));
  const visibility = h("select", { "data-k": "visibility" }, ["private", "public"].map((v) => h("option", { value: v,
    selected: (th?.visibility || "private") === v }, t(`console.visibility.${v}`))));
  const starts = h("input", { type: "datetime-local", "data-k": "starts",
    value: th?.starts_at ? localValue(th.starts_at, th.timezone || viewerZone()) : "" });
  const stream = h("input", { type: "url", inputmode: "url", placeholder: "https://", "data-k": "stream",
    value: th?.stream_url || "" });
  const place = h("input", { type: "text", maxlength: LIMITS.title, value: th?.place || "" });
  const chair = h("input", { type: "text", maxlength: LIMITS.title, value: th?.chair || "" });
  const secretary = h("input", { type: "text", maxlength: LIMITS.title, value: th?.secretary || "" });
  const access = h("select", { "data-k": "access" }, ["open", "roll"].map((v) => h("option", { value: v,
    selected: (th?.access || "open") === v }, t(`console.access.${v}`))));
  const rows = h("ol", { class: "agenda-rows" });
  const addRow = (item = null) => {
    const rowId = uid("row");
    const n = rows.children.length + 1;
    const itemTitle = h("input", { type: "text", maxlength: LIMITS.title, required: true, value: item?.title || "",
      "data-k": `${rowId}-title` });
    const minutes = h("input", { type: "number", min: 1, max: LIMITS.duration_s / 60, inputmode: "numeric", required: true,
      value: item ? Math.max(1, Math.round(item.duration_s / 60)) : 10, "data-k": `${rowId}-min` });
    const docs = documentRows(th, n);
    (item?.documents || []).forEach((doc) => docs.add(doc));
    const row = h("li", { class: "agenda-row" },
      h("div", { class: "agenda-row-main" }, field(t("console.item_title"), itemTitle), field(t("console.item_minutes"), minutes),
        h("button", { type: "button", class: "small", "aria-label": t("console.remove_item", { n }),
          onclick: () => { row.remove(); } }, t("agenda.remove"))),
      docs.el);
    row.read = () => {
      const out = { title: itemTitle.value.trim(), duration_s: Math.round(Number(minutes.value) * 60) };
      const documents = docs.read();
      if (documents.length) out.documents = documents;
      if (item?.presenters?.length) out.presenters = item.presenters;
      return out;
    };
    rows.append(row);
    return itemTitle;
  };
  const items = th?.room?.agenda?.items || [];
  items.forEach((item) => addRow(item));
  const form = h("form", { class: "card th-form", onsubmit: async (e) => {
    e.preventDefault();
    clearError();
    const body = {
      title: title.value.trim(), description: description.value, language: lang.value, visibility: visibility.value,
      timezone: zone.value.trim() || null, stream_url: stream.value.trim() || null,
      place: place.value.trim(), chair: chair.value.trim(), secretary: secretary.value.trim(),
      agenda: [...rows.children].map((row) => row.read()).filter((item) => item.title),
    };
    if (starts.value) {
      if (!zones().includes(body.timezone)) {
        zone.setAttribute("aria-invalid", "true");
        showError(t("console.error.zone"));
        return zone.focus();
      }
      body.starts_at = zonedIso(starts.value, body.timezone);
    }
    if (session.features.access) body.access = access.value;
    try {
      const saved = editing ? await api("PATCH", `/api/townhalls/${th.id}`, body) : await api("POST", "/api/townhalls", body);
      announce(t(editing ? "console.saved" : "console.created"));
      go(`th/${saved.id}`);
    } catch (error) {
      showError(error);
    }
    return undefined;
  } },
  h("h2", {}, editing ? t("console.edit_title", { title: th.title }) : t("console.new")),
  field(t("console.field.title"), title),
  field(t("console.field.description"), description, t("console.description_hint")),
  h("div", { class: "field-row" },
    field(t("console.field.starts_at"), starts),
    field(t("console.field.timezone"), zone, t("console.zone_hint")), zoneList),
  h("div", { class: "field-row" },
    field(t("console.field.language"), lang),
    field(t("console.field.visibility"), visibility),
    session.features.access ? field(t("console.field.access"), access) : null),
  field(t("console.field.stream_url"), stream, t("console.stream_hint")),
  h("div", { class: "field-row" },
    field(t("console.field.place"), place), field(t("console.field.chair"), chair),
    field(t("console.field.secretary"), secretary)),
  h("fieldset", {}, h("legend", {}, t("console.agenda")), rows,
    h("button", { type: "button", "data-k": "add-row", onclick: () => addRow().focus() }, t("console.add_item"))),
  h("div", { class: "buttons" },
    h("button", { type: "submit", class: "primary" }, editing ? t("console.save") : t("console.create")),
    h("a", { class: "button", href: editing ? `#th/${th.id}` : "#" }, t("agenda.cancel"))));
  swap(main, form);
  title.focus();
}

/**
 * An agenda item's documents: rows of "Document title" and "Document URL", "Add document",
 * and (once the town hall exists) "Upload file" for a PDF or an image, which adds a row
 * with the uploaded file's address.
 */
const UPLOAD_TYPES = "application/pdf,image/png,image/jpeg,image/gif,image/webp";

function documentRows(th, n) {
  const list = h("ul", { class: "doc-rows" });
  const add = (doc = null) => {
    const title = h("input", { type: "text", maxlength: LIMITS.title, value: doc?.title || "", "data-k": "doc-title" });
    const url = h("input", { type: "url", inputmode: "url", maxlength: LIMITS.url, placeholder: "https://",
      value: doc?.url || "", "data-k": "doc-url" });
    const li = h("li", { class: "doc-row" }, field(t("console.doc_title"), title), field(t("console.doc_url"), url),
      h("button", { type: "button", class: "small", "aria-label": t("console.remove_doc", { n: list.children.length + 1, item: n }),
        onclick: () => li.remove() }, t("agenda.remove")));
    li.read = () => {
      const address = url.value.trim();
      return { title: title.value.trim() || address, url: address };
    };
    list.append(li);
    return title;
  };
  let upload = null;
  if (th) {
    const input = h("input", { type: "file", accept: UPLOAD_TYPES, "data-k": "doc-file" });
    const status = h("p", { class: "muted", role: "status" });
    input.addEventListener("change", async () => {
      const file = input.files && input.files[0];
      if (!file) return;
      status.textContent = t("console.uploading", { file: file.name });
      try {
        const saved = await uploadFile(th.id, file);
        add({ title: saved.filename.replace(/\.[a-z]+$/i, ""), url: saved.url });
        status.textContent = t("console.uploaded", { file: saved.filename });
        announce(status.textContent);
      } catch (error) {
        status.textContent = "";
        showError(error);
      }
      input.value = "";
    });
    upload = h("div", { class: "doc-upload" }, field(t("console.upload", { n }), input, t("console.upload_hint")), status);
  }
  const el = h("fieldset", { class: "doc-fieldset" }, h("legend", {}, t("console.documents", { n })), list,
    h("div", { class: "buttons" }, h("button", { type: "button", class: "small", "data-k": "add-doc",
      onclick: () => add().focus() }, t("console.add_document"))),
    upload || h("p", { class: "muted" }, t("console.upload_after_create")));
  return { el, add, read: () => [...list.children].map((li) => li.read()).filter((d) => d.url) };
}

// ---- one town hall ------------------------------------------------------------------

function copyButton(url, role) {
  return h("button", { type: "button", "data-k": `copy-${role}`, "aria-describedby": `link-${role}-label`,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(url);
      } catch {
        const input = document.getElementById(`link-${role}`);
        input.select();
        document.execCommand("copy");
      }
      announce(t("console.copied", { role: t(`role.${role}`) }));
    } }, t("console.copy_link"));
}

function linkBlock(th, role, view) {
  const input = h("input", { type: "text", readonly: true, id: `link-${role}`, value: view.url, class: "link-url",
    "aria-labelledby": `link-${role}-label` });
  return h("section", { class: `link-card role-${role}`, "aria-labelledby": `link-${role}-label`, "data-role": role },
    h("h3", { id: `link-${role}-label` }, t(`console.link.${role}`)),
    h("p", { class: "muted" }, t(`console.link_help.${role}`)),
    input,
    view.short_url ? h("p", { class: "short-url" }, view.short_url) : null,
    h("div", { class: "buttons" }, copyButton(view.url, role),
      h("a", { class: "button", href: `/api/townhalls/${th.id}/links/${role}/qr.svg`, target: "_blank",
        rel: "noopener", "data-k": `qr-${role}` }, t("console.open_qr"))),
    h("img", { class: "qr", src: view.qr, alt: t(`qr.alt.${role}`), width: 160, height: 160 }));
}

/** Has the server render the document in the background, showing its progress; answers
 *  the download URL once the document is ready (then served from its cache at once). */
async function renderWithProgress(th, format, version, bar, status) {
  const body = version ? { format, version } : { format };
  bar.hidden = false;
  bar.max = 100;
  bar.value = 0;
  status.textContent = t("console.export_preparing");
  for (;;) {
    const answer = await api("POST", `/api/townhalls/${th.id}/minutes/render`, body);
    bar.value = Math.round(answer.progress * 100);
    status.textContent = t("console.render_progress", { percent: Math.round(answer.progress * 100) });
    if (answer.ready) return new URL(answer.url).pathname + new URL(answer.url).search;
    body.version = answer.version;
    await new Promise((resolve) => { setTimeout(resolve, 400); });
  }
}

async function exportWithProgress(url, filename, bar, status) {
  bar.hidden = false;
  bar.removeAttribute("value");
  status.textContent = t("console.export_preparing");
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    bar.hidden = true;
    const body = await response.json().catch(() => null);
    throw new ApiError(response.status, body);
  }
  const total = Number(response.headers.get("content-length")) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    if (total) {
      bar.max = total;
      bar.value = got;
      status.textContent = t("console.export_progress", { percent: Math.round((got / total) * 100) });
    }
  }
  const blob = new Blob(chunks, { type: response.headers.get("content-type") || "application/octet-stream" });
  const link = h("a", { href: URL.createObjectURL(blob), download: filename, hidden: true });
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  bar.max = 1;
  bar.value = 1;
  status.textContent = t("console.export_done", { file: filename });
  announce(status.textContent);
}

function exportBlock(th) {
  const bar = h("progress", { class: "export-progress", hidden: true, "aria-label": t("console.export_progress_label") });
  const status = h("p", { class: "muted", role: "status" });
  const buttons = [...FORMATS, ["csv", "CSV"]].map(([ext, label]) => {
    const doc = ext === "csv" ? "transcript" : "minutes";
    return h("button", { type: "button", "data-k": `export-${ext}`, onclick: () => renderWithProgress(th, ext, null, bar, status)
      .then((url) => exportWithProgress(url, `townhall-${th.id}-${doc}.${ext}`, bar, status)).catch(showError) },
    ext === "csv" ? t("room.transcript_csv") : t("room.minutes_as", { format: label }));
  });
  const list = h("div", { class: "buttons", id: "export-formats", hidden: true }, buttons);
  const toggle = h("button", { type: "button", class: "primary", "aria-expanded": "false", "aria-controls": "export-formats",
    onclick: () => {
      list.hidden = !list.hidden;
      toggle.setAttribute("aria-expanded", String(!list.hidden));
    } }, t("room.export"));
  const filing = h("div", { class: "filing" });
  if (th.status === "archived") drawFiling(th, filing, { bar, status });
  return h("section", { class: "card", "aria-labelledby": "export-h" }, h("h2", { id: "export-h" }, t("console.minutes")),
    th.status === "archived" ? [toggle, list, bar, status, filing]
      : h("p", { class: "muted" }, t("console.minutes_later")));
}

/** Filing: every version (draft, approved by whom and when), approve, record corrections. */
/** One version's downloads: a link per format, rendered with progress like the rest. */
function versionDownloads(th, v, progress) {
  return h("span", { class: "version-downloads" }, [...FORMATS].map(([ext, label]) => [" ",
    h("a", { href: `/api/townhalls/${th.id}/minutes.${ext}?version=${v.version}`, "data-k": `v${v.version}-${ext}`,
      "aria-label": t("console.version_download", { n: v.version, format: label }),
      onclick: (e) => {
        e.preventDefault();
        renderWithProgress(th, ext, v.version, progress.bar, progress.status)
          .then((url) => exportWithProgress(url, `townhall-${th.id}-minutes-v${v.version}.${ext}`, progress.bar, progress.status))
          .catch(showError);
      } }, label)]));
}

async function drawFiling(th, host, progress) {
  let versions = [];
  try {
    versions = (await api("GET", `/api/townhalls/${th.id}/minutes/versions`)).versions;
  } catch (error) {
    return showError(error);
  }
  const latest = versions.at(-1);
  const redraw = () => drawFiling(th, host, progress);
  const rows = h("ol", { class: "versions" }, versions.map((v) => h("li", {},
    h("strong", {}, t("console.version", { n: v.version })), " ",
    h("span", { class: "badge" }, t(`console.version_status.${v.status}`)), " ",
    v.status === "approved" ? t("console.approved_by", { who: v.approved_by, when: formatZoned(v.approved_at, th.timezone || viewerZone()) }) : "",
    versionDownloads(th, v, progress),
    v.corrects ? h("p", { class: "muted" }, t("console.corrects", { n: v.corrects, text: v.corrections })) : null)));
  let form = null;
  if (latest.status === "draft") {
    const who = h("input", { type: "text", required: true, maxlength: LIMITS.title, "data-k": "approver" });
    form = h("form", { class: "inline-form", onsubmit: async (e) => {
      e.preventDefault();
      if (!who.value.trim()) return who.focus();
      try {
        await api("POST", `/api/townhalls/${th.id}/minutes/approve`, { approved_by: who.value.trim() });
        announce(t("console.approved"));
        redraw();
      } catch (error) {
        showError(error);
      }
      return undefined;
    } }, field(t("console.approver"), who), h("button", { type: "submit", class: "primary" }, t("console.approve")));
  } else {
    const text = h("textarea", { rows: 2, required: true, maxlength: LIMITS.description, "data-k": "corrections" });
    form = h("form", { class: "stack", onsubmit: async (e) => {
      e.preventDefault();
      if (!text.value.trim()) return text.focus();
      try {
        await api("POST", `/api/townhalls/${th.id}/minutes/corrections`, { corrections: text.value.trim() });
        announce(t("console.corrected"));
        redraw();
      } catch (error) {
        showError(error);
      }
      return undefined;
    } }, field(t("console.corrections"), text, t("console.corrections_hint")),
    h("button", { type: "submit" }, t("console.record_corrections")));
  }
  swap(host, h("h3", {}, t("console.filing")), rows, form);
  return undefined;
}

async function detailView(main, id) {
  const [th, shown] = await Promise.all([api("GET", `/api/townhalls/${id}`), api("GET", `/api/townhalls/${id}/links`)]);
  const links = shown.links || {};
  const items = th.room?.agenda?.items || [];
  const scheduled = th.status === "scheduled";
  const roll = th.access === "roll" ? h("section", { class: "card roll", "aria-labelledby": "roll-h" }) : null;
  const rotate = h("button", { type: "button", "data-k": "rotate", onclick: async () => {
    if (!window.confirm(t("console.rotate_confirm"))) return;
    try {
      await api("POST", `/api/townhalls/${id}/links/rotate`, {});
      announce(t("console.rotated"));
      render();
    } catch (error) {
      showError(error);
    }
  } }, t("console.rotate"));
  const remove = h("button", { type: "button", class: "danger", "data-k": "delete", onclick: async () => {
    if (!window.confirm(t("console.delete_confirm", { title: th.title }))) return;
    try {
      await api("DELETE", `/api/townhalls/${id}`);
      announce(t("console.deleted", { title: th.title }));
      go("");
    } catch (error) {
      showError(error);
    }
  } }, t("console.delete"));
  swap(main, h("div", { class: "th-detail" },
    h("p", {}, h("a", { href: "#" }, t("console.back"))),
    h("section", { class: "card", "aria-labelledby": "th-h" },
      h("h2", { id: "th-h" }, th.title, " ", h("span", { class: "badge" }, t(`console.status.${th.status}`))),
      h("p", {}, when(th)),
      th.place ? h("p", { class: "muted" }, t("console.place_is", { place: th.place })) : null,
      h("p", { class: "muted" }, plural("console.items", items.length)),
      h("div", { class: "buttons" },
        scheduled ? h("a", { class: "button", href: `#th/${id}/edit` }, t("console.edit")) : null,
        h("a", { class: "button", href: `#th/${id}/handout` }, t("console.handout")),
        rotate, remove)),
    h("section", { class: "card links", "aria-labelledby": "links-h" },
      h("h2", { id: "links-h" }, t("console.links")),
      Object.keys(links).length ? h("div", { class: "link-grid" }, ROLES.filter((r) => links[r]).map((r) => linkBlock(th, r, links[r])))
        : h("p", { class: "muted" }, t("console.links_hidden"))),
    roll,
    exportBlock(th)));
  if (roll) rollSection(th, roll);
}

// ---- the roll (access "roll"): members, CSV import, personal links, proxies ------------

/** Rows of a CSV text as arrays of cells (quotes, doubled quotes, CRLF; a leading BOM). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  const src = String(text).replace(/^\uFEFF/, "");
  for (let i = 0; i < src.length; i += 1) {
    const c = src[i];
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') { cell += '"'; i += 1; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && src[i + 1] === "\n") i += 1;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** Members ({name, ref?}) from a roll CSV: a header row naming "name" (and "ref"), as
 *  `townhall roll import` reads it. Throws a message for a file it cannot use. */
export function rollMembers(text) {
  const rows = parseCsv(text).filter((r) => r.some((c) => c.trim()));
  const header = (rows.shift() || []).map((c) => c.trim().toLowerCase());
  const nameAt = header.indexOf("name");
  const refAt = header.indexOf("ref");
  if (nameAt < 0) throw new Error(t("console.roll_error.header"));
  const members = rows.map((r, n) => {
    const name = (r[nameAt] || "").trim();
    if (!name) throw new Error(t("console.roll_error.name", { line: n + 2 }));
    const ref = refAt >= 0 ? (r[refAt] || "").trim() : "";
    return ref ? { name, ref } : { name };
  });
  if (!members.length) throw new Error(t("console.roll_error.empty"));
  return members;
}

function personalLinks(made) {
  return h("section", { class: "personal-links", "aria-labelledby": "personal-h" },
    h("h3", { id: "personal-h" }, t("console.personal_links")),
    h("p", { class: "muted" }, t("console.personal_once")),
    h("ul", { class: "personal-list" }, made.map((m, n) => {
      const id = `personal-${n}`;
      const input = h("input", { type: "text", readonly: true, id, value: m.url, class: "link-url",
        "aria-label": t("console.personal_link_of", { name: m.name }) });
      return h("li", { class: "personal-card" },
        h("p", {}, h("strong", {}, m.name), " ", h("span", { class: "muted" }, m.ref)), input,
        h("button", { type: "button", "data-k": `copy-personal-${n}`,
          "aria-label": t("console.copy_personal", { name: m.name }), onclick: async () => {
            try {
              await navigator.clipboard.writeText(m.url);
            } catch {
              input.select();
              document.execCommand("copy");
            }
            announce(t("console.copied_personal", { name: m.name }));
          } }, t("console.copy_link")),
        m.qr ? h("img", { class: "qr", src: m.qr, alt: t("console.qr_personal", { name: m.name }), width: 120, height: 120 }) : null);
    })));
}

const shownLinks = new Map(); // town hall id -> personal links made on this page

async function rollSection(th, host) {
  let roll;
  let proxies;
  try {
    [roll, proxies] = await Promise.all([api("GET", `/api/townhalls/${th.id}/roll`),
      api("GET", `/api/townhalls/${th.id}/proxies`)]);
  } catch (error) {
    return showError(error);
  }
  const scheduled = th.status === "scheduled";
  const redraw = () => rollSection(th, host);
  const add = async (members) => {
    // In parts of 500 (the API takes at most 5,000 at once); each part's links are kept
    // in this page only (never stored): they stay on screen while the organiser records
    // proxies, and are gone once the page is left or reloaded.
    let added = 0;
    try {
      for (let at = 0; at < members.length; at += 500) {
        const answer = await api("POST", `/api/townhalls/${th.id}/roll`, { members: members.slice(at, at + 500), qr: true });
        shownLinks.set(th.id, [...(shownLinks.get(th.id) || []), ...answer.personal]);
        added += answer.personal.length;
      }
    } finally {
      if (added) announce(plural("console.members_added", added));
      await redraw();
    }
  };
  const file = h("input", { type: "file", accept: ".csv,text/csv", "data-k": "roll-csv" });
  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    try {
      await add(rollMembers(await chosen.text()));
    } catch (error) {
      showError(error instanceof ApiError ? error : String(error.message || error));
    }
    file.value = "";
  });
  const name = h("input", { type: "text", maxlength: LIMITS.name, "data-k": "member-name" });
  const ref = h("input", { type: "text", maxlength: LIMITS.name, "data-k": "member-ref" });
  const addOne = h("form", { class: "inline-form", onsubmit: async (e) => {
    e.preventDefault();
    if (!name.value.trim()) return name.focus();
    const member = { name: name.value.trim() };
    if (ref.value.trim()) member.ref = ref.value.trim();
    try {
      await add([member]);
    } catch (error) {
      showError(error);
    }
    return undefined;
  } }, field(t("console.member_name"), name), field(t("console.member_ref"), ref),
  h("button", { type: "submit" }, t("console.add_member")));
  const byRef = Object.fromEntries(roll.members.map((m) => [m.ref, m]));
  const options = (id) => h("select", { id, "data-k": id }, roll.members.map((m) =>
    h("option", { value: m.ref }, `${m.name} (${m.ref})`)));
  const giver = options("proxy-from");
  const holder = options("proxy-to");
  const proxyForm = h("form", { class: "inline-form", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api("POST", `/api/townhalls/${th.id}/proxies`, { from: giver.value, to: holder.value });
      announce(t("console.proxy_recorded", { from: byRef[giver.value]?.name, to: byRef[holder.value]?.name }));
      await redraw();
    } catch (error) {
      showError(error);
    }
  } }, field(t("console.proxy_from"), giver), field(t("console.proxy_to"), holder),
  h("button", { type: "submit" }, t("console.record_proxy")));
  const proxyRows = proxies.proxies.map((p) => h("li", {},
    t("console.proxy_line", { from: byRef[p.from]?.name || p.from, to: byRef[p.to]?.name || p.to }), " ",
    scheduled ? h("button", { type: "button", class: "small", "aria-label": t("console.revoke_named", { name: byRef[p.from]?.name || p.from }),
      onclick: async () => {
        try {
          await api("DELETE", `/api/townhalls/${th.id}/proxies/${encodeURIComponent(p.from)}`);
          announce(t("console.proxy_revoked"));
          await redraw();
        } catch (error) {
          showError(error);
        }
      } }, t("console.revoke")) : null));
  swap(host,
    h("h2", { id: "roll-h" }, t("console.roll"), " ", h("span", { class: "badge" }, String(roll.members.length))),
    roll.members.length ? h("table", { class: "roll-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("console.member_name")), h("th", { scope: "col" }, t("console.member_ref_column")),
        h("th", { scope: "col" }, t("console.proxy_held_by")))),
      h("tbody", {}, roll.members.map((m) => h("tr", {}, h("td", {}, m.name), h("td", {}, m.ref),
        h("td", {}, m.proxy ? byRef[m.proxy]?.name || m.proxy : ""))))) : h("p", { class: "muted" }, t("console.roll_empty")),
    scheduled ? [field(t("console.import_roll"), file, t("console.import_hint")), addOne] : null,
    h("h3", {}, t("console.proxies")),
    proxyRows.length ? h("ul", { class: "proxy-list" }, proxyRows) : h("p", { class: "muted" }, t("console.no_proxies")),
    scheduled && roll.members.length > 1 ? proxyForm : null,
    shownLinks.get(th.id)?.length ? personalLinks(shownLinks.get(th.id)) : null);
  return undefined;
}

async function handoutView(main, id) {
  const [th, shown] = await Promise.all([api("GET", `/api/townhalls/${id}`), api("GET", `/api/townhalls/${id}/links`)]);
  const join = shown.links?.participant;
  swap(main, h("article", { class: "handout", "aria-labelledby": "handout-h" },
    h("div", { class: "buttons no-print" }, h("a", { class: "button", href: `#th/${id}` }, t("console.back_to", { title: th.title })),
      h("button", { type: "button", class: "primary", onclick: () => window.print() }, t("console.print"))),
    h("h2", { id: "handout-h" }, th.title),
    h("p", { class: "handout-when" }, when(th)),
    th.place ? h("p", {}, th.place) : null,
    th.description ? h("p", {}, th.description) : null,
    join ? [h("img", { class: "qr handout-qr", src: join.qr, alt: t("qr.alt.participant"), width: 320, height: 320 }),
      h("p", { class: "handout-url" }, join.short_url || join.url),
      h("p", {}, t("console.handout_how"))] : h("p", { class: "muted" }, t("console.links_hidden"))));
}

// ---- start --------------------------------------------------------------------------

function languageSwitch() {
  const host = document.getElementById("lang");
  const draw = () => {
    swap(host, ...languages().map((code) => h("button", { type: "button", lang: code, "data-k": `lang-${code}`,
      "aria-pressed": code === language() ? "true" : "false", onclick: () => setLanguage(code, { remember: true }) },
    t(`lang.${code}`))));
    host.setAttribute("aria-label", t("lang.label"));
  };
  onLanguage(() => {
    draw();
    render();
  });
}

async function main() {
  window.townhallConsole = { session, zonedIso };
  mountAnnouncer(document);
  languageSwitch();
  try {
    const [who, openapi] = await Promise.all([api("GET", "/api/console/session"),
      fetch("/api/openapi.json").then((r) => r.json()).catch(() => null)]);
    Object.assign(session, { csrf: who.csrf, admin: who.admin });
    session.features.access = Boolean(openapi?.components?.schemas?.TownHallCreate?.properties?.access);
  } catch {
    session.csrf = null;
  }
  await setLanguage(preferredLanguage());
  document.body.dataset.ready = "1";
}

main();
