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
  const response = await fetch(`i18n/${next}.json`);
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
