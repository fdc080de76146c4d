// Tiny DOM helpers: no framework, so the page runs straight from the static files.

/** Builds an element: h("button", {class: "x", onclick: fn, "aria-label": "…"}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "style") {
      el.style.cssText = value; // through the CSSOM: the CSP forbids style attributes
    } else if (key === "text") {
      el.textContent = shown(String(value));
    } else if (key in PROPS) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

// Set as properties so the live value (not only the initial attribute) follows.
const PROPS = { value: 1, checked: 1, disabled: 1, hidden: 1, selected: 1, htmlFor: 1, open: 1 };

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(shown(String(child))));
  }
}

// Bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069) let a
// text reorder how it reads: "invoice\u202efdp.exe" showed as "invoiceexe.pdf". Every
// text the page shows has them drawn as a visible mark instead; user text is also shown
// in isolated elements (style.css), so it cannot reorder what is around it.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

export function shown(text) {
  return text.replace(BIDI_CONTROLS, (c) => `[U+${c.codePointAt(0).toString(16).toUpperCase()}]`);
}

/**
 * Replaces a container's content with fresh nodes, keeping keyboard focus: a screen
 * reader or keyboard user must not be thrown back to the top of the page by an update.
 * Focusable elements carry data-k keys; the element with the same key gets focus back.
 */
export function swap(container, ...children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.k : undefined;
  container.replaceChildren();
  append(container, children);
  if (key) {
    const again = container.querySelector(`[data-k="${CSS.escape(key)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
}

let counter = 0;
/** A page-unique id for label/aria-describedby pairs. */
export function uid(prefix = "u") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form field: the label is a real <label for>, so its text is the accessible name. */
export function field(labelText, control, hint) {
  const id = control.id || uid("f");
  control.id = id;
  const parts = [h("label", { for: id }, labelText), control];
  if (hint) {
    const hintId = uid("hint");
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("span", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: "field" }, parts);
}

const drafts = new Map();
/**
 * Keeps what is typed in a box across re-mounts of the view (a language switch rebuilds
 * the page): the text lives here until it is sent and cleared.
 */
export function keepDraft(control, key) {
  if (drafts.has(key)) control.value = drafts.get(key);
  control.addEventListener("input", () => drafts.set(key, control.value));
  return control;
}

export function forgetDraft(key) {
  drafts.delete(key);
}

/**
 * After a send is acknowledged, empty the fields that still hold what was sent. Whatever
 * the person typed meanwhile (the next agenda item, the next question) stays: the ack can
 * arrive well after the event that already redrew the page.
 */
export function clearSent(fields) {
  const sent = fields.map((f) => f.value);
  return () => fields.forEach((f, i) => { if (f.value === sent[i]) f.value = ""; });
}
