// Poll results as text and bars: every number is written out, the bar only repeats it.

import { h } from "../dom.js";
import { t, formatNumber, plural } from "../i18n.js";

export function results(poll, options, { big = false, compact = false } = {}) {
  const tally = poll.tally || poll.result;
  if (!tally) {
    if (poll.status === "open" && poll.results === "on_close") return h("p", { class: "muted" }, t("poll.hidden_until_close"));
    return null;
  }
  const counts = tally.counts || [];
  const total = Math.max(1, ...counts.map((c) => c || 0));
  const winner = tally.winner;
  const rows = options.map((text, i) => h("li", { class: i === winner ? "winner" : "" },
    h("span", { class: "opt" }, text, i === winner ? ` — ${t(poll.status === "open" ? "poll.leading" : "poll.winner")}` : ""),
    h("span", { class: "bar", "aria-hidden": "true" }, h("span", { style: `width:${Math.round(((counts[i] || 0) / total) * 100)}%` })),
    // Dot polls: the dots, and how many ballots gave the option any.
    Array.isArray(tally.voters)
      ? h("span", { class: "num" }, plural("dot.dots", counts[i] || 0, { n: formatNumber(counts[i] || 0) }),
        h("span", { class: "voters" }, " · ", plural("dot.voters", tally.voters[i] || 0,
          { n: formatNumber(tally.voters[i] || 0) })))
      : h("span", { class: "num" }, formatNumber(counts[i] || 0))));
  const rounds = (tally.rounds || []).length > 1 ? h("details", { class: "rounds" },
    h("summary", {}, t("poll.rounds", { n: tally.rounds.length })),
    h("ol", {}, tally.rounds.map((round) => h("li", {},
      round.counts.map((c, i) => (c === null ? null : `${options[i]}: ${formatNumber(c)}`)).filter(Boolean).join(", "),
      round.eliminated !== null && round.eliminated !== undefined
        ? ` — ${t("poll.eliminated", { option: options[round.eliminated] })}` : "")))) : null;
  return h("div", { class: `results${big ? " big" : ""}${compact ? " compact" : ""}`, "data-results": poll.id },
    compact ? null : h("h4", {}, poll.status === "open" ? t("poll.live_results") : t("poll.final_results")),
    h("ul", { class: "result-list" }, rows),
    compact
      ? (tally.quorum_met === false ? h("p", { class: "muted" }, t("poll.quorum_missed")) : null)
      : h("p", { class: "muted" }, t("poll.turnout", { n: formatNumber(tally.turnout ?? poll.turnout ?? 0) }),
        tally.quorum_met === false ? ` · ${t("poll.quorum_missed")}` : ""),
    rounds);
}
