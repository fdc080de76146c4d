// Proposals (SPEC §10): participants submit them (also while the meeting is scheduled)
// and support others' (once each, withdrawable); the list is sorted by support.
// Facilitators merge one into another and hide one with a reason (both on the record);
// turning chosen proposals into a poll's options is in the poll builder (Polls tab).

import { LIMITS } from "../limits.js";
import { h, swap, field, keepDraft, forgetDraft, clearSent } from "../dom.js";
import { t, formatNumber, plural } from "../i18n.js";
import { displayName } from "../state.js";
import { sortedProposals } from "../state_formats.js";

export function proposalsPart({ send, facilitator = false, readOnly = false, you, announce }) {
  const el = h("section", { class: "card proposals", "aria-labelledby": "proposals-h" });
  const list = h("div");
  const text = keepDraft(h("textarea", { rows: 2, maxlength: LIMITS.proposal, name: "proposal" }), "proposal");
  const form = h("form", { class: "stack", onsubmit: (e) => {
    e.preventDefault();
    if (!text.value.trim()) return text.focus();
    const done = clearSent([text]);
    send("proposal.submit", { text: text.value.trim() }).then(() => {
      done();
      if (!text.value) forgetDraft("proposal");
      announce?.(t("proposal.submitted"));
    });
    return undefined;
  } }, field(t("proposal.label"), text, t("proposal.hint")), h("button", { type: "submit" }, t("proposal.submit")));
  el.append(h("h2", { id: "proposals-h" }, t("proposal.title")));
  if (!readOnly && !facilitator) el.append(form);
  el.append(list);

  // A facilitator's merge and hide controls are built once per proposal: the reason being
  // typed survives the live events that redraw the list.
  const tools = new Map();
  function toolsOf(p) {
    if (tools.has(p.id)) return tools.get(p.id);
    const into = h("select", { "data-k": `merge-into-${p.id}` });
    const reason = h("input", { type: "text", maxlength: LIMITS.reason, "data-k": `hide-reason-${p.id}` });
    const merge = h("form", { class: "inline-form", onsubmit: (e) => {
      e.preventDefault();
      if (!into.value) return;
      send("proposal.merge", { proposal: p.id, into: into.value });
    } }, field(t("proposal.merge_into"), into),
    h("button", { type: "submit", "aria-label": t("proposal.merge_named", { text: p.text.slice(0, 60) }) }, t("proposal.merge")));
    const hide = h("form", { class: "inline-form", onsubmit: (e) => {
      e.preventDefault();
      if (!reason.value.trim()) return reason.focus();
      send("proposal.hide", { proposal: p.id, reason: reason.value.trim() }).then(clearSent([reason]));
      return undefined;
    } }, field(t("proposal.hide_reason"), reason),
    h("button", { type: "submit", "aria-label": t("proposal.hide_named", { text: p.text.slice(0, 60) }) }, t("proposal.hide")));
    const made = { into, merge, hide, el: h("details", { class: "proposal-tools" },
      h("summary", { "data-k": `tools-${p.id}` }, t("proposal.moderate")), merge, hide) };
    tools.set(p.id, made);
    return made;
  }

  function row(state, p, open) {
    const mine = p.participant === you.participant;
    const controls = [];
    if (!readOnly && !facilitator && !mine && p.status === "open") {
      controls.push(h("button", { type: "button", "data-k": `support-${p.id}`,
        "aria-pressed": p.supported ? "true" : "false",
        "aria-label": t("proposal.support_named", { text: (p.text || "").slice(0, 60) }),
        onclick: () => send(p.supported ? "proposal.unsupport" : "proposal.support", { proposal: p.id })
          .then(() => announce?.(t(p.supported ? "proposal.unsupported" : "proposal.supported"))) },
      t(p.supported ? "proposal.supporting" : "proposal.support")));
    }
    let moderation = null;
    if (facilitator && p.status === "open") {
      const made = toolsOf(p);
      const keep = made.into.value;
      made.into.replaceChildren(...open.filter((o) => o.id !== p.id)
        .map((o) => h("option", { value: o.id, selected: o.id === keep }, o.text.slice(0, 80))));
      made.merge.hidden = open.length < 2;
      moderation = made.el;
    }
    const into = p.merged_into ? state.proposals[p.merged_into] : null;
    const fate = {
      promoted: () => t("proposal.status.promoted"),
      merged: () => t("proposal.merged_into", { text: (into?.text || "").slice(0, 80) }),
      hidden: () => t("proposal.hidden", { reason: p.hidden_reason || "" }),
    }[p.status];
    return h("li", { class: `proposal status-${p.status}` },
      p.text !== null && p.text !== undefined ? h("p", { class: "q-text" }, p.text) : null,
      h("p", { class: "muted" },
        state.people[p.participant] ? [displayName(state, p.participant), " · "] : null,
        mine ? [t("proposal.yours"), " · "] : null,
        h("span", { class: "support" }, plural("proposal.support_count", p.support || 0, { n: formatNumber(p.support || 0) })),
        fate ? [" · ", h("span", { class: "badge" }, fate())] : null),
      controls.length ? h("div", { class: "buttons" }, controls) : null,
      moderation);
  }

  return {
    el,
    topics: ["proposal.", "poll.", "me.", "session."],
    update(state) {
      const shown = sortedProposals(state, { all: facilitator });
      const open = shown.filter((p) => p.status === "open");
      swap(list, shown.length ? h("ol", { class: "question-list proposal-list" }, shown.map((p) => row(state, p, open)))
        : h("p", { class: "muted" }, t("proposal.none")));
    },
  };
}
