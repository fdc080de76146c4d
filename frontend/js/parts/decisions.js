// Decisions as they are recorded (with the whole vote and the dissent), and the recorder.

import { LIMITS } from "../limits.js";
import { h, swap, field, clearSent } from "../dom.js";
import { t } from "../i18n.js";
import { results } from "./results.js";
import { optionsOf } from "./polls.js";

export function decisionsPart({ send, facilitator = false }) {
  const el = h("section", { class: "card decisions", "aria-labelledby": "decisions-h" });
  const list = h("div");
  const text = h("textarea", { rows: 2, maxlength: LIMITS.text });
  const dissent = h("textarea", { rows: 2, maxlength: LIMITS.text });
  let picked = false; // follow the running item until the facilitator picks one
  const item = h("select", { onchange: () => { picked = true; } });
  const poll = h("select", {});
  const form = h("form", { class: "stack", onsubmit: (e) => {
    e.preventDefault();
    if (!text.value.trim() || !item.value) return;
    const data = { item: item.value, text: text.value.trim() };
    if (poll.value) data.poll = poll.value;
    if (dissent.value.trim()) data.dissent = dissent.value.trim();
    const done = clearSent([text, dissent]);
    send("decision.record", data).then(() => { done(); picked = false; });
  } }, h("h3", {}, t("decision.record_title")), field(t("decision.item"), item), field(t("decision.text"), text),
  field(t("decision.poll"), poll), field(t("decision.dissent"), dissent),
  h("button", { type: "submit" }, t("decision.record")));
  el.append(h("h2", { id: "decisions-h" }, t("decision.title")), list);
  if (facilitator) el.append(form);
  return {
    el,
    topics: ["decision.", "poll.", "vote.", "agenda.", "session."],
    update(state) {
      if (facilitator) {
        const keepItem = (picked && item.value) || state.agenda.current || item.value || "";
        item.replaceChildren(...state.agenda.order.map((id) => h("option", { value: id, selected: id === keepItem },
          state.agenda.items[id]?.title || id)));
        const keepPoll = poll.value;
        poll.replaceChildren(h("option", { value: "" }, t("decision.no_poll")),
          ...Object.values(state.polls).filter((p) => p.status === "closed" || p.status === "published")
            .map((p) => h("option", { value: p.id, selected: p.id === keepPoll }, p.question)));
      }
      swap(list, state.decisions.length ? h("ol", { class: "decision-list" }, state.decisions.map((d) => {
        const linked = d.poll ? state.polls[d.poll] : null;
        const res = d.result || (linked ? { ...linked, tally: linked.tally } : null);
        return h("li", { class: "decision" },
          h("p", { class: "d-text" }, d.text),
          h("p", { class: "muted" }, state.agenda.items[d.item]?.title || ""),
          d.dissent ? h("p", {}, h("strong", {}, t("decision.dissent_label")), " ", d.dissent) : null,
          res ? results({ ...res, id: res.poll || res.id, status: "closed", tally: res.tally }, optionsOf(res)) : null);
      })) : h("p", { class: "muted" }, t("decision.none")));
    },
  };
}
