// A battle (SPEC §10): participants take a side and may switch at any time; the
// situation board shows the current shares and their movement since the poll opened.
// Everything the board draws is also written out as text: the bars and the timeline are
// aria-hidden pictures of numbers that are read from the text beside them.

import { h } from "../dom.js";
import { t, formatNumber, plural } from "../i18n.js";
import { now } from "../clock.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 300; // the timeline's coordinate box; the SVG stretches to its container
const H = 60;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

const percent = (part, whole) => (whole ? Math.round((part / whole) * 100) : 0);

function countsOf(poll) {
  const n = (poll.options || []).length;
  const counts = poll.tally?.counts || [];
  return Array.from({ length: n }, (_, i) => counts[i] || 0);
}

/** Shares over time as stacked areas (step after each point), side 0 at the bottom. */
function timeline(poll, counts) {
  const points = [...(poll.battle?.timeline || [])].map((p) => ({ at: Date.parse(p.at), counts: p.counts }));
  const start = Date.parse(poll.opened) || points[0]?.at;
  const end = poll.status === "open" ? now() : Date.parse(poll.closed) || points.at(-1)?.at || start;
  if (!start || !points.length || end <= start) return null;
  points.push({ at: end, counts });
  const x = (at) => ((Math.min(Math.max(at, start), end) - start) / (end - start)) * W;
  const n = counts.length;
  const layers = Array.from({ length: n }, () => []);
  let previous = null;
  for (const point of points) {
    const total = point.counts.reduce((a, b) => a + (b || 0), 0);
    if (!total) continue;
    let acc = 0;
    const tops = point.counts.map((c) => { acc += c || 0; return H - (acc / total) * H; });
    if (previous) {
      // Step: the previous shares hold until this point.
      previous.forEach((top, i) => layers[i].push([x(point.at), top]));
    }
    tops.forEach((top, i) => layers[i].push([x(point.at), top]));
    previous = tops;
  }
  if (!layers[0].length) return null;
  const shapes = [];
  // Side i's band lies between the top of side i-1 (or the bottom) and its own top.
  for (let i = n - 1; i >= 0; i -= 1) {
    const top = layers[i];
    const first = top[0][0];
    const last = top.at(-1)[0];
    const d = `M${first},${H} ${top.map(([a, b]) => `L${a.toFixed(1)},${b.toFixed(1)}`).join(" ")} L${last},${H} Z`;
    shapes.push(svg("path", { d, class: `side-fill side-${i % 6}` }));
  }
  shapes.push(svg("line", { x1: 0, x2: W, y1: H / 2, y2: H / 2, class: "half" }));
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", class: "battle-timeline",
    "aria-hidden": "true", focusable: "false" }, ...shapes);
}

/** "2 from B to A, 1 from A to B": the changes of side since the opening. */
function movesText(poll) {
  const options = poll.options || [];
  const moves = poll.battle?.moves || [];
  const parts = [];
  moves.forEach((row, from) => row.forEach((n, to) => {
    if (n && from !== to) parts.push(t("battle.move", { n: formatNumber(n), from: options[from], to: options[to] }));
  }));
  return parts.length ? t("battle.moves", { moves: parts.join(", ") }) : t("battle.no_moves");
}

/**
 * The situation board of a battle poll: each side with its share and count, a bar of the
 * shares, the shares over time, and the same as text (the opening shares and the moves).
 */
export function battleBoard(poll, { big = false, compact = false, before = null } = {}) {
  const options = poll.options || [];
  const counts = countsOf(poll);
  const total = counts.reduce((a, b) => a + b, 0);
  // Asked again (before / after): the earlier poll's final shares beside the current ones.
  const earlier = before?.tally ? countsOf(before) : null;
  const earlierTotal = earlier ? earlier.reduce((a, b) => a + b, 0) : 0;
  const opening = poll.battle?.opening || [];
  const openingTotal = opening.reduce((a, b) => a + (b || 0), 0);
  const sides = h("ul", { class: "battle-sides" }, options.map((name, i) => h("li", { class: `side side-${i % 6}` },
    h("span", { class: "side-name" }, name),
    h("span", { class: "side-share" }, `${formatNumber(percent(counts[i], total))}%`),
    h("span", { class: "side-count" }, plural("battle.people", counts[i], { n: formatNumber(counts[i]) })),
    earlierTotal ? h("span", { class: "side-before" },
      t("battle.before_share", { share: formatNumber(percent(earlier[i], earlierTotal)) })) : null)));
  const bar = h("div", { class: "battle-bar", "aria-hidden": "true" }, options.map((_, i) => {
    const seg = h("span", { class: `side-bg side-${i % 6}` });
    seg.style.flexGrow = String(total ? counts[i] : 1);
    return seg;
  }));
  const line = timeline(poll, counts);
  const nowText = options.map((name, i) => `${name} ${formatNumber(percent(counts[i], total))}%`).join(", ");
  const atOpening = openingTotal
    ? options.map((name, i) => `${name} ${formatNumber(percent(opening[i] || 0, openingTotal))}%`).join(", ") : null;
  return h("div", { class: `battle-board${big ? " big" : ""}${compact ? " compact" : ""}`, "data-battle": poll.id },
    sides, bar,
    line ? h("div", { class: "battle-line" }, h("span", { class: "battle-axis", "aria-hidden": "true" },
      t("battle.since_opening")), line) : null,
    // The projector and the console's board show the picture; the words stay for screen
    // readers (the poll's card in the Polls tab writes them out).
    h("p", { class: big || compact ? "battle-text visually-hidden" : "battle-text muted" },
      t("battle.now", { shares: nowText, people: plural("battle.people", total, { n: formatNumber(total) }) }),
      atOpening ? ` ${t("battle.at_opening", { shares: atOpening })}` : "",
      earlierTotal ? ` ${t("battle.before", { shares: options.map((name, i) =>
        `${name} ${formatNumber(percent(earlier[i], earlierTotal))}%`).join(", ") })}` : "",
      ` ${movesText(poll)}`));
}

/**
 * Taking a side: one button per side, the current one pressed. A click switches at once
 * (a battle is live and changeable while open, unless the poll is final).
 */
export function battleBallot(poll, mine, { send, announce, onVoted, confirmFinal }) {
  const options = poll.options || [];
  const labelId = `battle-${poll.id}-take`;
  return h("div", { class: "battle-take", role: "group", "aria-labelledby": labelId },
    h("p", { id: labelId, class: "battle-take-label" }, t("battle.take_side")),
    h("div", { class: "buttons" }, options.map((name, i) => h("button", {
      type: "button", class: `side-button side-${i % 6}`, "data-k": `side-${poll.id}-${i}`,
      "aria-pressed": mine === i ? "true" : "false",
      onclick: () => {
        if (mine === i || !confirmFinal()) return;
        send("poll.vote", { poll: poll.id, choice: i }).then(() => {
          onVoted(i);
          announce(t(mine === undefined || mine === null ? "battle.you_took" : "battle.you_switched", { side: name }));
        });
      },
    }, name))));
}
