// Screen-reader announcements through two ARIA live regions made once at start-up.

let polite;
let assertive;

export function mountAnnouncer(root) {
  polite = root.querySelector("#live-polite");
  assertive = root.querySelector("#live-assertive");
}

/**
 * Speaks a message. The region is cleared first and filled on the next frame, so the same
 * message twice in a row is still announced.
 */
export function announce(message, { urgent = false } = {}) {
  const region = urgent ? assertive : polite;
  if (!region) return;
  region.textContent = "";
  requestAnimationFrame(() => {
    region.textContent = message;
  });
  // Kept for the browser tests, which cannot listen to a screen reader.
  const said = (window.townhallSaid = window.townhallSaid || []);
  said.push(message);
  if (said.length > 200) said.shift();
}
