// Polls: the right input per kind, my current vote (changeable until close), results when
// visible, and for facilitators a builder plus open/close/publish.

import { LIMITS } from "../limits.js";
import { h, swap, field, uid, clearSent } from "../dom.js";
import { t, formatNumber, plural } from "../i18n.js";
import { countdown } from "./timer.js";
import { results } from "./results.js";
import { battleBallot, battleBoard } from "./battle.js";
import { describeDots, dotChoice, dotInputs, dotsOf } from "./dot.js";
import { sortedProposals } from "../state_formats.js";

const KINDS = ["single", "multiple", "yes_no_abstain", "ranked", "score", "battle", "dot"];
const drafts = new Map(); // poll id -> the ballot being filled in (survives re-renders)

export function optionsOf(poll) {
  if (poll.kind === "yes_no_abstain") { // always in the viewer's language
    return [t("poll.yes"), t("poll.no"), t("poll.abstain")];
  }
  return poll.options || [];
}

function draftOf(poll, current) {
  if (!drafts.has(poll.id)) {
    const n = optionsOf(poll).length;
    if (poll.kind === "dot") drafts.set(poll.id, dotsOf(current, n));
    else if (current !== undefined && current !== null) drafts.set(poll.id, structuredClone(current));
    else if (poll.kind === "ranked") drafts.set(poll.id, [...Array(n).keys()]);
    else if (poll.kind === "multiple") drafts.set(poll.id, []);
    else if (poll.kind === "score") drafts.set(poll.id, Object.fromEntries([...Array(n).keys()].map((i) => [String(i), 0])));
    else drafts.set(poll.id, null);
  }
  return drafts.get(poll.id);
}

function describeVote(poll, choice) {
  const options = optionsOf(poll);
  if (choice === undefined || choice === null) return t("poll.not_voted");
  if (poll.kind === "dot") return describeDots(options, choice);
  if (poll.kind === "score") {
    return Object.entries(choice).map(([i, v]) => `${options[i]}: ${v}`).join(", ");
  }
  if (Array.isArray(choice)) return choice.map((i) => options[i]).join(poll.kind === "ranked" ? " › " : ", ");
  return options[choice];
}

function ballotInputs(poll, draft, redraw, announce) {
  const options = optionsOf(poll);
  if (poll.kind === "dot") return dotInputs(poll, options, draft, redraw, announce);
  const name = `poll-${poll.id}`;
  if (poll.kind === "single" || poll.kind === "yes_no_abstain") {
    return h("fieldset", {}, h("legend", {}, t("poll.choose_one")),
      options.map((text, i) => h("label", { class: "choice" },
        h("input", { type: "radio", name, value: String(i), checked: draft === i, "data-k": `${name}-${i}`,
          onchange: () => { drafts.set(poll.id, i); } }), " ", text)));
  }
  if (poll.kind === "multiple") {
    const max = poll.max_choices || options.length;
    return h("fieldset", {}, h("legend", {}, t("poll.choose_up_to", { n: max })),
      options.map((text, i) => h("label", { class: "choice" },
        h("input", { type: "checkbox", name, value: String(i), checked: draft.includes(i), "data-k": `${name}-${i}`,
          disabled: !draft.includes(i) && draft.length >= max,
          onchange: (e) => {
            const next = e.target.checked ? [...draft, i] : draft.filter((x) => x !== i);
            drafts.set(poll.id, next.sort((a, b) => a - b));
            redraw();
          } }), " ", text)));
  }
  if (poll.kind === "score") {
    return h("fieldset", {}, h("legend", {}, t("poll.score_each")),
      options.map((text, i) => {
        const select = h("select", { "data-k": `${name}-${i}`, onchange: (e) => {
          draft[String(i)] = Number(e.target.value);
        } }, [0, 1, 2, 3, 4, 5].map((v) => h("option", { value: String(v), selected: draft[String(i)] === v }, String(v))));
        return field(text, select);
      }));
  }
  return rankingInput(poll, draft, options, redraw);
}

/** Ranking: drag with a mouse, or Move up / Move down buttons from the keyboard. */
function rankingInput(poll, order, options, redraw) {
  const move = (from, to) => {
    if (to < 0 || to >= order.length) return;
    const next = [...order];
    const [taken] = next.splice(from, 1);
    next.splice(to, 0, taken);
    drafts.set(poll.id, next);
    redraw(`rank-${poll.id}-${taken}-${to < from ? "up" : "down"}`);
  };
  const helpId = uid("rank-help");
  return h("fieldset", { class: "ranking" }, h("legend", {}, t("poll.rank_help_title")),
    h("p", { class: "hint", id: helpId }, t("poll.rank_help")),
    h("ol", { class: "rank-list" }, order.map((option, index) => h("li", {
      draggable: "true", class: "rank-row",
      ondragstart: (e) => { e.dataTransfer.setData("text/plain", String(index)); },
      ondragover: (e) => e.preventDefault(),
      ondrop: (e) => { e.preventDefault(); move(Number(e.dataTransfer.getData("text/plain")), index); },
    },
    h("span", { class: "rank-no", "aria-hidden": "true" }, `${index + 1}.`),
    h("span", { class: "rank-text" }, options[option]),
    h("button", { type: "button", "data-k": `rank-${poll.id}-${option}-up`, disabled: index === 0,
      "aria-label": t("poll.move_up", { option: options[option] }), "aria-describedby": helpId,
      onclick: () => move(index, index - 1) }, "↑"),
    h("button", { type: "button", "data-k": `rank-${poll.id}-${option}-down`, disabled: index === order.length - 1,
      "aria-label": t("poll.move_down", { option: options[option] }), "aria-describedby": helpId,
      onclick: () => move(index, index + 1) }, "↓")))));
}

function pollCard(state, poll, ctx, redrawAll) {
  const { send, facilitator, readOnly, announce } = ctx;
  const mine = state.myVotes[poll.id];
  const card = h("article", { class: `card poll status-${poll.status}`, "aria-labelledby": `poll-${poll.id}-q` });
  const body = h("div");
  const redraw = (focusKey) => {
    draw();
    if (!focusKey) return;
    // At the top (or bottom) the pressed button turns disabled: keep the focus on the row.
    const other = focusKey.endsWith("-up") ? focusKey.replace(/-up$/, "-down") : focusKey.replace(/-down$/, "-up");
    const target = [focusKey, other].map((k) => card.querySelector(`[data-k="${k}"]`)).find((el) => el && !el.disabled);
    target?.focus();
  };
  const draw = () => {
    const parts = [];
    // A member whose proxy another member holds is counted through that member's ballot.
    const givenAway = Boolean(state.proxy?.holder);
    // In a roll-access room only members vote (a facilitator is not one by their link).
    const voter = state.access !== "roll" || Boolean(state.people[ctx.you.participant]?.member);
    const canVote = !readOnly && poll.status === "open" && ctx.you.role !== "observer" && !givenAway && voter;
    if (!readOnly && poll.status === "open" && givenAway) {
      const holder = state.proxy.holder;
      parts.push(h("p", { class: "note proxy-note" }, t("poll.proxy_given",
        { name: state.proxy.names[holder] || state.people[holder]?.name || t("poll.another_member") })));
    } else if (canVote && state.proxy?.held.length) {
      const names = state.proxy.held.map((id) => state.proxy.names[id] || state.people[id]?.name
        || t("poll.another_member"));
      parts.push(h("p", { class: "note proxy-note" }, t("poll.proxy_held", { n: names.length, names: names.join(", ") })));
    }
    const saved = (choice) => {
      state.myVotes[poll.id] = structuredClone(choice);
      sessionStorage.setItem(`townhall:vote:${poll.id}`, JSON.stringify(choice));
      redrawAll();
    };
    // A final poll takes one ballot: asked to confirm, then no ballot any more.
    const confirmFinal = () => !poll.final || window.confirm(t("poll.final_confirm"));
    const cast = poll.final && mine !== undefined && mine !== null;
    if (canVote && !cast && poll.kind === "battle") {
      parts.push(battleBallot(poll, mine, { send, announce, confirmFinal, onVoted: saved }));
    } else if (canVote && !cast) {
      const draft = draftOf(poll, mine);
      parts.push(h("form", { class: "ballot", onsubmit: (e) => {
        e.preventDefault();
        let choice = drafts.get(poll.id);
        if (poll.kind === "dot") choice = Object.keys(dotChoice(choice)).length ? dotChoice(choice) : null;
        if (choice === null || choice === undefined || (Array.isArray(choice) && !choice.length)) {
          announce(t("poll.pick_first"), { urgent: true });
          return;
        }
        if (!confirmFinal()) return;
        send("poll.vote", { poll: poll.id, choice }).then(() => {
          announce(t("poll.vote_counted"));
          saved(choice);
        });
      } }, ballotInputs(poll, draft, redraw, announce),
      h("button", { type: "submit", class: "primary", "data-k": `vote-${poll.id}` }, t("poll.vote"))));
    }
    if (!readOnly && mine !== undefined && mine !== null) {
      parts.push(h("p", { class: "my-vote" }, t("poll.your_vote", { vote: describeVote(poll, mine) }),
        poll.status !== "open" ? "" : ` ${t(poll.final ? "poll.final_cast" : "poll.change_until_close")}`));
    }
    parts.push(poll.kind === "battle" && poll.tally ? battleBoard(poll, { before: state.polls[poll.repeat_of] })
      : results(poll, optionsOf(poll)));
    if (poll.tally?.by_proxy) {
      parts.push(h("p", { class: "muted by-proxy" }, t("poll.in_person_by_proxy",
        { in_person: formatNumber(poll.tally.in_person), by_proxy: formatNumber(poll.tally.by_proxy) })));
    }
    swap(body, parts);
  };
  draw();
  const status = h("span", { class: "badge" }, t(`poll.status.${poll.status}`));
  const meta = [t(`poll.kind.${poll.kind}`), poll.secret ? t("poll.secret") : t("poll.named")];
  if (poll.quorum_share !== null && poll.quorum_share !== undefined) {
    meta.push(t("poll.quorum_share", { share: Math.round(poll.quorum_share * 10000) / 100, n: poll.quorum_needed }));
  } else if (poll.quorum) meta.push(t("poll.quorum", { n: poll.quorum }));
  if (poll.electorate === "roll") meta.push(t("poll.electorate_roll"));
  if (poll.kind === "dot") meta.push(plural("dot.meta", poll.votes_per_person || 1, { n: formatNumber(poll.votes_per_person || 1) }));
  if (poll.final) meta.push(t("poll.final"));
  if (poll.proposals?.length) meta.push(t("proposal.from_meta"));
  if (poll.repeat_of) meta.push(t("poll.repeat_meta", { question: state.polls[poll.repeat_of]?.question || "" }));
  const controls = [];
  if (facilitator) {
    if (poll.status === "draft") controls.push(h("button", { type: "button", class: "primary", "data-k": `ctl-${poll.id}`,
      "aria-describedby": `poll-${poll.id}-q`, onclick: () => send("poll.open", { poll: poll.id }) }, t("poll.open")));
    // The poll on the facilitator's board has its "Close poll" there, and only there.
    const onBoard = ctx.closeOnBoard && livePoll(state)?.id === poll.id;
    if (poll.status === "open" && !onBoard) controls.push(closeButton(poll, send, `ctl-${poll.id}`, `poll-${poll.id}-q`));
    if (poll.status === "closed" && poll.results === "on_close") controls.push(h("button", { type: "button",
      "data-k": `ctl-${poll.id}`, onclick: () => send("poll.publish", { poll: poll.id }) }, t("poll.publish")));
    // Before / after: the same question and options again, as a new draft.
    if (poll.status === "closed" || poll.status === "published") controls.push(h("button", { type: "button",
      "data-k": `again-${poll.id}`, "aria-describedby": `poll-${poll.id}-q`,
      onclick: () => send("poll.create", askAgain(poll)).then(() => announce(t("poll.asked_again"))) }, t("poll.ask_again")));
  }
  swap(card,
    h("h3", { id: `poll-${poll.id}-q` }, poll.question), h("p", { class: "muted" }, status, " ", meta.join(" · ")),
    poll.status === "open" && poll.closes ? h("p", {}, countdown({ deadline: poll.closes })) : null,
    poll.status === "open" && !poll.tally ? h("p", { class: "muted" }, t("poll.turnout", { n: formatNumber(poll.turnout || 0) })) : null,
    body, controls.length ? h("div", { class: "buttons" }, controls) : null);
  return card;
}

/**
 * The polls. `which` picks "open" (only the polls open now: the participant's view puts
 * them first and hides this part when there is none), "rest" (all others) or "all".
 */
export function pollsPart(ctx, { which = "all", builder: withBuilder = ctx.facilitator } = {}) {
  const headingId = `polls-h-${which}`;
  const el = h("section", { class: `polls polls-${which}`, "aria-labelledby": headingId });
  const list = h("div");
  el.append(h("h2", { id: headingId }, t(which === "open" ? "poll.open_now" : "poll.title")), list);
  let last = null;
  const form = withBuilder ? builder(ctx.send, () => last?.access) : null;
  if (form) el.append(form);
  const api = {
    el,
    topics: ["poll.", "vote.", "session.", "me.", "room.access", ...(form ? ["proposal."] : [])],
    update(state) {
      last = state;
      const rollOnly = form?.querySelector(".roll-only");
      if (rollOnly) rollOnly.hidden = state.access !== "roll"; // the electorate: roll access only
      form?.showProposals(state);
      for (const p of Object.values(state.polls)) {
        if (state.myVotes[p.id] === undefined) {
          const saved = sessionStorage.getItem(`townhall:vote:${p.id}`);
          if (saved) state.myVotes[p.id] = JSON.parse(saved);
        }
      }
      const polls = Object.values(state.polls)
        .filter((p) => ctx.facilitator || p.status !== "draft")
        .filter((p) => which === "all" || (which === "open") === (p.status === "open"))
        .sort((a, b) => order(a) - order(b) || String(b.created).localeCompare(String(a.created)));
      if (which !== "all") el.hidden = !polls.length; // the participant's view: no empty box
      swap(list, polls.length ? polls.map((p) => pollCard(state, p, ctx, () => api.update(last)))
        : h("p", { class: "muted" }, t("poll.none")));
    },
  };
  return api;
}

function closeButton(poll, send, key, describedBy = `live-poll-q-${poll.id}`) {
  return h("button", { type: "button", "data-k": key, "aria-describedby": describedBy,
    onclick: () => send("poll.close", { poll: poll.id }) }, t("poll.close"));
}

/** The poll that matters now: the open one (else the last one closed), as results. */
export function livePoll(state) {
  const polls = Object.values(state.polls);
  return polls.find((p) => p.status === "open")
    || polls.filter((p) => p.status === "closed" || p.status === "published")
      .sort((a, b) => String(a.closed || a.created).localeCompare(String(b.closed || b.created))).at(-1)
    || null;
}

/**
 * The facilitator's board: the open poll's live results with "Close poll" (or the last
 * closed poll's results), always in view. Voting and the poll builder are in the tab.
 */
export function livePollPart({ send }) {
  const el = h("section", { class: "card live-poll", "aria-labelledby": "live-poll-h" });
  return {
    el,
    topics: ["poll.", "vote.", "session."],
    update(state) {
      const poll = livePoll(state);
      const drafts = Object.values(state.polls).filter((p) => p.status === "draft").length;
      if (!poll) {
        swap(el, h("h2", { id: "live-poll-h" }, t("poll.title")),
          h("p", { class: "muted" }, drafts ? plural("poll.drafts_ready", drafts) : t("poll.none")));
        return;
      }
      const open = poll.status === "open";
      swap(el, h("h2", { id: "live-poll-h" }, open ? t("poll.open_now") : t("poll.last_closed")),
        h("p", { class: "poll-q", id: `live-poll-q-${poll.id}` }, poll.question),
        h("p", { class: "muted" }, h("span", { class: "badge" }, t(`poll.status.${poll.status}`)), " ",
          t(`poll.kind.${poll.kind}`), " · ", t("poll.turnout", { n: formatNumber(poll.turnout || poll.tally?.turnout || 0) }),
          open && poll.closes ? [" · ", countdown({ deadline: poll.closes })] : null),
        poll.kind === "battle" && poll.tally ? battleBoard(poll, { compact: true, before: state.polls[poll.repeat_of] })
          : results(poll, optionsOf(poll), { compact: true }),
        open ? h("div", { class: "buttons" }, closeButton(poll, send, "board-close")) : null);
    },
  };
}

/** A new poll asking `poll` again (repeat_of): same question, kind, options and rules. */
function askAgain(poll) {
  const data = { question: poll.question, kind: poll.kind, secret: poll.secret, repeat_of: poll.id };
  if (poll.kind !== "yes_no_abstain") data.options = [...poll.options];
  if (poll.kind !== "battle") data.results = poll.results;
  if (poll.kind === "multiple" && poll.max_choices) data.max_choices = poll.max_choices;
  if (poll.kind === "dot") {
    data.votes_per_person = poll.votes_per_person;
    if (poll.max_per_option) data.max_per_option = poll.max_per_option;
  }
  if (poll.final) data.final = true;
  return data;
}

const order = (poll) => ({ open: 0, draft: 1, closed: 2, published: 2 })[poll.status] ?? 3;

function builder(send, access) {
  const question = h("input", { type: "text", maxlength: LIMITS.question, required: true });
  const kind = h("select", {}, KINDS.map((k) => h("option", { value: k }, t(`poll.kind.${k}`))));
  const options = h("textarea", { rows: 4, maxlength: LIMITS.options * (LIMITS.option + 1) });
  const max = h("input", { type: "number", min: 1, max: LIMITS.options, value: 2, inputmode: "numeric" });
  const secret = h("input", { type: "checkbox", checked: true });
  const live = h("select", {}, ["live", "on_close"].map((r) => h("option", { value: r }, t(`poll.results.${r}`))));
  const duration = h("input", { type: "number", min: 0, value: 0, inputmode: "numeric" });
  const quorum = h("input", { type: "number", min: 0, value: 0, inputmode: "numeric" });
  const share = h("input", { type: "number", min: 0, max: 100, step: "any", value: "", inputmode: "decimal" });
  const eligible = h("select", {}, ["present", "roll"].map((r) => h("option", { value: r }, t(`poll.eligible.${r}`))));
  const rollOnly = h("div", { class: "roll-only" }, field(t("poll.eligible_label"), eligible));
  const perPerson = h("input", { type: "number", min: 1, max: LIMITS.dots, value: 3, inputmode: "numeric" });
  const perOption = h("input", { type: "number", min: 0, max: LIMITS.dots, value: 0, inputmode: "numeric" });
  const dotOnly = h("div", { class: "dot-only" }, field(t("dot.per_person"), perPerson),
    field(t("dot.per_option"), perOption, t("dot.per_option_hint")));
  const final = h("input", { type: "checkbox" });
  // Proposals chosen to become the options (from_proposals): kept across redraws.
  const chosen = new Set();
  const proposalList = h("div", { class: "from-proposals-list" });
  const fromProposals = h("fieldset", { class: "from-proposals" },
    h("legend", {}, t("proposal.from_legend")), h("p", { class: "hint" }, t("proposal.from_hint")), proposalList);
  const kindChanged = () => { dotOnly.hidden = kind.value !== "dot"; };
  kind.addEventListener("change", kindChanged);
  const form = h("form", { class: "card builder", onsubmit: (e) => {
    e.preventDefault();
    const data = { question: question.value.trim(), kind: kind.value, secret: secret.checked, results: live.value };
    if (kind.value !== "yes_no_abstain") {
      data.options = options.value.split("\n").map((s) => s.trim()).filter(Boolean);
    }
    if (kind.value === "multiple") data.max_choices = Number(max.value);
    if (Number(duration.value) > 0) data.duration_s = Number(duration.value);
    if (Number(quorum.value) > 0) data.quorum = Number(quorum.value);
    if (share.value !== "" && !data.quorum) data.quorum_share = Math.round(Number(share.value) * 100) / 10000;
    if (access() === "roll") data.eligible = eligible.value;
    if (kind.value === "battle") delete data.results; // a battle is always live
    if (kind.value === "dot") {
      data.votes_per_person = Number(perPerson.value);
      if (Number(perOption.value) > 0) data.max_per_option = Number(perOption.value);
    }
    if (final.checked && kind.value !== "battle") data.final = true;
    if (chosen.size && kind.value !== "yes_no_abstain") {
      data.from_proposals = [...chosen];
      delete data.options;
    }
    send("poll.create", data).then(() => {
      clearSent([question, options])();
      chosen.clear();
      form.showProposals(null);
    });
  } },
  h("h3", {}, t("poll.builder")),
  field(t("poll.question"), question),
  field(t("poll.kind_label"), kind),
  field(t("poll.options"), options, t("poll.options_hint")),
  field(t("poll.max_choices"), max),
  dotOnly,
  fromProposals,
  h("label", { class: "choice" }, secret, " ", t("poll.secret_ballot")),
  h("label", { class: "choice" }, final, " ", t("poll.final_label")),
  field(t("poll.results_label"), live),
  field(t("poll.duration"), duration),
  field(t("poll.quorum_label"), quorum),
  field(t("poll.quorum_share_label"), share, t("poll.quorum_share_hint")),
  rollOnly,
  h("button", { type: "submit" }, t("poll.create")));
  rollOnly.hidden = true; // until the room says it has roll access (pollsPart.update)
  kindChanged();
  let lastState = null;
  form.showProposals = (state) => {
    lastState = state || lastState;
    const open = lastState ? sortedProposals(lastState).filter((p) => p.status === "open" || p.status === "promoted") : [];
    for (const id of [...chosen]) if (!open.some((p) => p.id === id)) chosen.delete(id);
    fromProposals.hidden = !open.length;
    swap(proposalList, open.map((p) => h("label", { class: "choice" },
      h("input", { type: "checkbox", checked: chosen.has(p.id), "data-k": `from-${p.id}`,
        onchange: (e) => { if (e.target.checked) chosen.add(p.id); else chosen.delete(p.id); } }),
      " ", h("span", { class: "poll-option" }, p.text), " ",
      h("span", { class: "muted" }, plural("proposal.support_count", p.support || 0, { n: formatNumber(p.support || 0) })))));
  };
  return form;
}
