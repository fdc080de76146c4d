// The one clear banner for states that change what the viewer can do.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { me } from "../state.js";

/** Returns the banner for the most important condition now, or nothing. */
export function statusBanner(app) {
  const state = app.state;
  const you = state ? me(state) : null;
  let kind = null;
  let text = "";
  if (app.status === "closed" && app.closedReason === "origin_not_allowed") {
    kind = "refused";
    text = t("banner.origin_refused", { origin: location.origin });
  } else if (app.status === "closed" && app.closedReason === "roll_only") {
    kind = "members";
    text = t("banner.roll_only");
  } else if (app.status === "closed") {
    kind = "removed";
    const reason = app.closedReason;
    if (reason === "removed" || reason === "banned") text = t("banner.removed");
    else if (reason === "room_locked") text = t("error.room_locked");
    else if (reason === "state_lost") text = t("error.state_lost");
    else text = t("banner.bad_link");
  } else if (you?.status === "removed") {
    kind = "removed";
    text = t("banner.removed");
  } else if (state?.session.status === "ended") {
    kind = "ended";
    text = t("banner.ended");
  } else if (app.status === "reconnecting") {
    kind = "reconnecting";
    text = t("banner.reconnecting");
  } else if (you?.status === "waiting") {
    kind = "lobby";
    text = t("banner.lobby");
  } else if (you?.muted) {
    kind = "muted";
    text = t("banner.muted");
  } else if (state?.session.status === "scheduled") {
    kind = "scheduled";
    text = t("banner.scheduled");
  }
  if (!kind) return null;
  // An icon-like word tag as well as colour: colour is never the only signal.
  return h("div", { class: `banner banner-${kind}`, role: "status", "data-banner": kind },
    h("strong", { class: "tag" }, t(`banner.tag.${kind}`)), " ", text);
}
