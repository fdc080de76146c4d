// Korean and English. Every visible string goes through t(); <html lang> follows the choice.

const SUPPORTED = ["en", "ko"];
const STORE_KEY = "townhall:lang";
let dict = {};
let lang = "en";
const listeners = new Set();

/** The saved choice, else the first browser language we support, else English. */
export function preferredLanguage() {
  const url = new URLSearchParams(location.search).get("lang");
  if (SUPPORTED.includes(url)) return url;
  const saved = localStorage.getItem(STORE_KEY);
  if (SUPPORTED.includes(saved)) return saved;
  for (const wanted of navigator.languages || [navigator.language]) {
    const base = String(wanted).toLowerCase().split("-")[0];
    if (SUPPORTED.includes(base)) return base;
  }
  return "en";
}

export async function setLanguage(next, { remember = false } = {}) {
  const response = await fetch(`/i18n/${next}.json`);
  dict = await response.json();
  lang = next;
  document.documentElement.lang = next;
  if (remember) localStorage.setItem(STORE_KEY, next);
  for (const listener of listeners) listener(next);
}

export function onLanguage(listener) {
  listeners.add(listener);
}

export function language() {
  return lang;
}

export function languages() {
  return SUPPORTED;
}

/** The string for key with {placeholders} filled; a missing key shows itself, loudly. */
export function t(key, vars = {}) {
  const text = dict[key];
  if (text === undefined) {
    console.error(`missing translation: ${lang}.${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/**
 * A count with its noun in the language's plural form: plural("people.observers", 1) reads
 * the key "people.observers.one" in English ("1 observer") and ".other" otherwise; Korean
 * has one form. Intl.PluralRules picks the category, so a third language needs no code.
 */
export function plural(key, n, vars = {}) {
  const category = new Intl.PluralRules(lang).select(n);
  const wanted = `${key}.${category}`;
  return t(dict[wanted] !== undefined ? wanted : `${key}.other`, { n: formatNumber(n), ...vars });
}

/** The viewer's IANA time zone. */
export function viewerZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Date and time in a given IANA zone, with the zone's short name ("6 Dec 2026, 18:00 GMT+9"). */
export function formatZoned(iso, zone) {
  if (!iso) return "";
  // dateStyle cannot be combined with timeZoneName: the fields are spelled out.
  return new Intl.DateTimeFormat(lang, { weekday: "long", year: "numeric", month: "long", day: "numeric",
    hour: "numeric", minute: "2-digit", timeZone: zone, timeZoneName: "short" }).format(new Date(iso));
}

/** Clock time in the viewer's locale and time zone. */
export function formatTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" }).format(new Date(iso));
}

export function formatDateTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}

/** A duration as m:ss (or h:mm:ss); the sign is left to the caller's words. */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.round(Math.abs(seconds)));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

export function formatNumber(n) {
  return new Intl.NumberFormat(lang).format(n);
}

export function has(key) {
  return dict[key] !== undefined;
}
