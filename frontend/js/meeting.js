// What a link opens, asked of the server before (and besides) the WebSocket: the town
// hall's title, status, start time and time zone, its stream, the join link with its QR
// code and short URL, and (once it has ended) its minutes. POST /api/link with the
// token in the body, so the token is not repeated in another URL.

let info = null;
let loading = null;
const listeners = new Set();

/** The last answer (null until it came, or when the server had none). */
export function meeting() {
  return info;
}

export function onMeeting(listener) {
  listeners.add(listener);
}

/** Asks the server what `token` opens; resolves to the answer or null (never rejects). */
export function loadMeeting(token, { refresh = false } = {}) {
  if (loading && !refresh) return loading;
  loading = fetch("/api/link", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
    credentials: "same-origin",
  }).then((response) => (response.ok ? response.json() : null)).catch(() => null).then((answer) => {
    if (answer) {
      info = answer;
      for (const listener of listeners) listener(answer);
    }
    return answer;
  });
  return loading;
}

/** The minutes of an ended town hall as HTML (the page shows its <main>); null until archived. */
export async function loadMinutes(token) {
  try {
    const response = await fetch("/api/link/minutes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
      credentials: "same-origin",
    });
    if (!response.ok) return null;
    return await response.text();
  } catch {
    return null;
  }
}
