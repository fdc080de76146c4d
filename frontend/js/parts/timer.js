// Countdown text for an absolute deadline (or frozen remaining seconds while paused).
// One ticker refreshes every countdown on the page; the words carry the state, so a
// colour change is never the only sign of an overrun.

import { everySecond, secondsUntil } from "../clock.js";
import { h } from "../dom.js";
import { t, formatDuration, plural } from "../i18n.js";

export function countdown({ deadline = null, remaining = null, paused = false, big = false }) {
  const el = h("span", { class: big ? "countdown big" : "countdown" });
  if (deadline) el.dataset.deadline = deadline;
  else if (remaining !== null && remaining !== undefined) el.dataset.remaining = String(remaining);
  if (paused) el.dataset.paused = "1";
  refresh(el);
  return el;
}

/** A countdown to the start of a scheduled meeting ("Starts in 1 day 2:03:04"). */
export function startCountdown(iso, { big = false } = {}) {
  const el = h("span", { class: big ? "countdown start big" : "countdown start" });
  el.dataset.deadline = iso;
  el.dataset.kind = "start";
  refresh(el);
  return el;
}

function refresh(el) {
  if (el.dataset.kind === "start") {
    const left = secondsUntil(el.dataset.deadline);
    const days = Math.floor(left / 86400);
    const time = formatDuration(left - days * 86400);
    const text = left <= 0 ? t("meeting.starting")
      : days > 0 ? t("meeting.starts_in_days", { days: plural("unit.days", days), time }) : t("meeting.starts_in", { time });
    if (el.textContent !== text) el.textContent = text;
    return;
  }
  const left = el.dataset.deadline
    ? secondsUntil(el.dataset.deadline)
    : Number(el.dataset.remaining ?? 0);
  const over = left < 0;
  const time = formatDuration(left);
  let text = over ? t("time.over", { time }) : t("time.left", { time });
  if (el.dataset.paused) text = `${text} · ${t("time.paused")}`;
  if (el.textContent !== text) el.textContent = text;
  el.classList.toggle("over", over);
  el.classList.toggle("soon", !over && left <= 60);
}

everySecond(() => {
  for (const el of document.querySelectorAll(".countdown")) refresh(el);
});
