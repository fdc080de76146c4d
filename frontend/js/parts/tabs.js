// Tabs (the WAI-ARIA tabs pattern): a tablist of buttons and one visible panel. Arrow
// keys, Home and End move between tabs; the choice is kept per page in sessionStorage so a
// language switch or a reload lands on the same tab. Hidden panels stay in the DOM (their
// inputs keep what is typed) and are left out of the accessibility tree by `hidden`.
//
// A tab is {id, label: () => string, badge?: (state) => string, el}. More tabs can be
// added by other views or parts before mounting (issue 15 adds its panels this way).

import { h } from "../dom.js";

export function tabsPart({ name, label, tabs, initial }) {
  const storeKey = `townhall:tab:${name}`;
  let selected = sessionStorage.getItem(storeKey);
  if (!tabs.some((tab) => tab.id === selected)) selected = initial || tabs[0].id;
  const list = h("div", { class: "tablist", role: "tablist", "aria-label": label });
  const buttons = new Map();
  const panels = new Map();
  const el = h("div", { class: `tabs tabs-${name}` }, list);
  const counts = new Map();

  function select(id, { focus = false } = {}) {
    selected = id;
    sessionStorage.setItem(storeKey, id);
    for (const [key, button] of buttons) {
      const on = key === id;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      panels.get(key).hidden = !on;
    }
    if (focus) buttons.get(id).focus();
  }

  function onKey(event) {
    const ids = tabs.map((tab) => tab.id);
    const at = ids.indexOf(selected);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: ids.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select(ids[(next + ids.length) % ids.length], { focus: true });
  }

  for (const tab of tabs) {
    const count = h("span", { class: "tab-count" });
    counts.set(tab.id, count);
    const button = h("button", { type: "button", role: "tab", id: `tab-${tab.id}`, "aria-controls": `panel-${tab.id}`,
      "data-tab": tab.id, onclick: () => select(tab.id), onkeydown: onKey }, tab.label(), " ", count);
    const panel = h("div", { role: "tabpanel", id: `panel-${tab.id}`, "aria-labelledby": `tab-${tab.id}`,
      class: "tabpanel", tabindex: "0" }, tab.el);
    buttons.set(tab.id, button);
    panels.set(tab.id, panel);
    list.append(button);
    el.append(panel);
  }
  select(selected);

  return {
    el,
    select,
    update(state) {
      for (const tab of tabs) {
        const text = tab.badge ? tab.badge(state) : "";
        const count = counts.get(tab.id);
        if (count.textContent !== text) count.textContent = text;
        count.hidden = !text;
      }
    },
  };
}
