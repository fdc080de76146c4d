// Dot voting (SPEC §10): spread up to `votes_per_person` dots over the options, at most
// `max_per_option` on one; a stepper per option and the dots left, said as they change.

import { h } from "../dom.js";
import { t, formatNumber, plural } from "../i18n.js";

/** A dot ballot in any of its forms (a list per option, or {"index": dots}) as a list. */
export function dotsOf(choice, n) {
  const dots = Array(n).fill(0);
  if (Array.isArray(choice)) choice.forEach((v, i) => { if (i < n) dots[i] = Number(v) || 0; });
  else if (choice && typeof choice === "object") {
    for (const [i, v] of Object.entries(choice)) if (Number(i) < n) dots[Number(i)] = Number(v) || 0;
  }
  return dots;
}

/** The wire form of a dot ballot: only the options given a dot. */
export function dotChoice(dots) {
  return Object.fromEntries(dots.map((v, i) => [String(i), v]).filter(([, v]) => v > 0));
}

export function describeDots(options, choice) {
  const dots = dotsOf(choice, options.length);
  return dots.map((v, i) => (v ? `${options[i]}: ${formatNumber(v)}` : null)).filter(Boolean).join(", ");
}

/**
 * The steppers. `dots` is the draft (a list, changed in place); `redraw(key)` redraws the
 * card and puts the focus back on the pressed button (or its twin once it is disabled).
 */
export function dotInputs(poll, options, dots, redraw, announce) {
  const budget = poll.votes_per_person || 1;
  const cap = Math.min(poll.max_per_option || budget, budget);
  const used = dots.reduce((a, b) => a + b, 0);
  const left = budget - used;
  const change = (i, delta, key) => {
    dots[i] += delta;
    redraw(key);
    const rest = budget - dots.reduce((a, b) => a + b, 0);
    announce?.(plural("dot.left", rest, { n: formatNumber(rest), total: formatNumber(budget) }));
  };
  const remainingId = `dots-left-${poll.id}`;
  return h("fieldset", { class: "dot-ballot" },
    h("legend", {}, t("dot.legend", { n: formatNumber(budget) })),
    cap < budget ? h("p", { class: "hint" }, t("dot.max_per_option", { n: formatNumber(cap) })) : null,
    h("ul", { class: "dot-list" }, options.map((text, i) => {
      const nameId = `dot-${poll.id}-${i}-name`;
      return h("li", { class: "dot-row" },
        h("span", { class: "dot-name", id: nameId }, text),
        h("span", { class: "stepper" },
          h("button", { type: "button", "data-k": `dot-${poll.id}-${i}-down`, disabled: dots[i] <= 0,
            "aria-label": t("dot.remove", { option: text }), "aria-describedby": remainingId,
            onclick: () => change(i, -1, `dot-${poll.id}-${i}-down`) }, "−"),
          h("output", { class: "dot-count", "aria-labelledby": nameId }, formatNumber(dots[i])),
          h("button", { type: "button", "data-k": `dot-${poll.id}-${i}-up`, disabled: left <= 0 || dots[i] >= cap,
            "aria-label": t("dot.add", { option: text }), "aria-describedby": remainingId,
            onclick: () => change(i, 1, `dot-${poll.id}-${i}-up`) }, "+")),
        h("span", { class: "dot-pips", "aria-hidden": "true" }, "●".repeat(dots[i])));
    })),
    h("p", { class: "dots-left", id: remainingId },
      plural("dot.left", left, { n: formatNumber(left), total: formatNumber(budget) })));
}
