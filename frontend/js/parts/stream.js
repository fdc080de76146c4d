// The livestream: the town hall's `stream_url` as the server made it embeddable
// (YouTube, PeerTube, Jitsi or any player that allows framing). The page's CSP lets a
// frame load only from the origins of configured stream URLs.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { meeting } from "../meeting.js";

export function streamPart() {
  const el = h("section", { class: "card stream", "aria-labelledby": "stream-h" });
  let shown = null;
  const api = {
    el,
    topics: ["session."],
    /** A stream to show now: configured, and the session live. */
    wanted(state) {
      return Boolean(meeting()?.stream?.embed) && state.session.status === "live";
    },
    update(state) {
      const stream = meeting()?.stream;
      el.hidden = !api.wanted(state);
      if (el.hidden || shown === stream.embed) return;
      shown = stream.embed;
      // Built once per URL: redrawing a playing video would restart it.
      el.replaceChildren(h("h2", { id: "stream-h" }, t("stream.title")),
        h("div", { class: "stream-frame" }, h("iframe", { src: stream.embed, title: t("stream.frame_title"),
          allow: "autoplay; encrypted-media; fullscreen; picture-in-picture", allowfullscreen: true,
          referrerpolicy: "strict-origin-when-cross-origin", loading: "lazy" })),
        h("p", {}, h("a", { href: stream.url, target: "_blank", rel: "noopener noreferrer" }, t("stream.open"))));
    },
  };
  return api;
}
