// Issue 15's formats in the views (SPEC §10): the participant view gets cheering (with
// what matters now) and proposals (beside the questions, also while scheduled); the
// console a Proposals tab and cheering in the Agenda tab; the projector a cheering region. Battles
// and dot votes are poll kinds: parts/polls.js draws them (parts/battle.js, parts/dot.js).

import { t, formatNumber } from "./i18n.js";
import { cheersConsolePart, cheersPart, cheersProjectorPart } from "./parts/cheers.js";
import { proposalsPart } from "./parts/proposals.js";
import { extraTabs } from "./views/facilitator.js";
import { extraParts } from "./views/participant.js";
import { projectorSlots } from "./views/projector.js";

extraParts.push(
  { id: "cheers", where: "now", part: (ctx) => cheersPart(ctx) },
  { id: "proposals", where: "side", part: (ctx) => proposalsPart(ctx) },
);

const openProposals = (state) => Object.values(state.proposals || {}).filter((p) => p.status === "open").length;

extraTabs.push(
  { id: "proposals", after: "questions", label: () => t("proposal.title"),
    badge: (state) => (openProposals(state) ? formatNumber(openProposals(state)) : ""),
    part: (ctx) => proposalsPart(ctx) },
  // Cheering belongs to the agenda's items (their presenters): below the agenda, not a tab.
  { id: "cheers", into: "agenda", part: (ctx) => cheersConsolePart(ctx) },
);

projectorSlots.push({ id: "cheers", area: "side", part: () => cheersProjectorPart() });
