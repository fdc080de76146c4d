"""Every string of the UI exists in English and Korean, and each page uses only keys that
exist. Pure file checks: no browser needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# t("key") with a literal key; keys built at run time (t(`poll.kind.${kind}`)) are listed
# by their prefix and checked through DYNAMIC below.
LITERAL = re.compile(r"\bt\(\"([a-z_]+(?:\.[a-z_]+)+)\"")
TEMPLATE = re.compile(r"\bt\(`([a-z_.]+)\.\$\{")
# plural("key", n) reads "key.<Intl.PluralRules category>", falling back to "key.other".
PLURAL = re.compile(r"\bplural\(\"([a-z_]+(?:\.[a-z_]+)+)\"")
DYNAMIC = {
    "agenda.status": {"pending", "running", "paused", "done", "overrun"},
    "banner.tag": {"removed", "ended", "reconnecting", "lobby", "muted", "scheduled", "members"},
    "hand.kind": {"speak", "point_of_order", "reply"},
    "lang": {"en", "ko"},
    "people.status": {"present", "waiting", "left", "removed"},
    "poll.eligible": {"present", "roll"},
    "poll.kind": {"single", "multiple", "yes_no_abstain", "ranked", "score", "battle", "dot"},
    "poll.results": {"live", "on_close"},
    "poll.status": {"draft", "open", "closed", "published"},
    "question.status": {"open", "answered", "dismissed", "queued", "pending", "hidden"},
    "queue.policy": {"fifo", "fair"},
    "queue.policy_name": {"fifo", "fair"},
    "reaction": {"agree", "disagree", "applause", "unclear"},
    "role": {"participant", "facilitator", "observer", "projector"},
    "room.toggle": {
        "lobby",
        "statements",
        "questions",
        "auto_advance",
        "questions_premoderated",
        "auto_advance_items",
    },
    "session.status": {"scheduled", "live", "ended"},
    "error": {"generic", "forbidden", "muted", "not_eligible", "queue_empty"},
    "console.none": {"upcoming", "live", "past"},
    "console.group": {"upcoming", "live", "past"},
    "console.status": {"scheduled", "live", "ended", "archived"},
    "console.link": {"facilitator", "participant", "observer"},
    "console.link_help": {"facilitator", "participant", "observer"},
    "console.visibility": {"private", "public"},
    "console.access": {"open", "roll"},
    "console.field": {"title", "description", "starts_at", "timezone", "language", "stream_url"},
    "console.error": {"bad_key", "signed_out", "csrf_failed", "already_started"},
    "qr.alt": {"facilitator", "participant", "observer"},
    "join": {"invalid_name", "name_reserved"},
    "console.version_status": {"draft", "approved"},
    "moderation.action": {
        "room.settings",
        "room.lock",
        "room.unlock",
        "participant.admit",
        "participant.mute",
        "participant.unmute",
        "participant.remove",
        "statement.hide",
        "hand.lower",
        "queue.move",
        "queue.clear",
        "floor.end",
        "question.approve",
        "question.hide",
        "question.dismiss",
        "cheer.reveal",
        "proposal.merge",
        "proposal.hide",
    },
    "moderation.setting": {
        "queue_policy",
        "turn_s",
        "auto_advance",
        "max_turns_per_item",
        "slow_mode_s",
        "statements",
        "questions",
        "lobby",
        "auto_advance_items",
        "item_grace_s",
        "questions_premoderated",
        "max_participants",
    },
}


def load(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((FRONTEND / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def sources() -> str:
    return "\n".join(p.read_text("utf-8") for p in sorted((FRONTEND / "js").rglob("*.js")))


def test_both_languages_have_the_same_keys() -> None:
    assert set(load("en")) == set(load("ko"))


def test_every_key_used_by_the_pages_exists() -> None:
    en = load("en")
    code = sources()
    used = set(LITERAL.findall(code))
    assert used, "the pattern found no t() call"
    assert sorted(used - set(en)) == []
    plurals = set(PLURAL.findall(code))
    assert plurals, "the pattern found no plural() call"
    assert sorted(f"{key}.other" for key in plurals if f"{key}.other" not in en) == []
    assert sorted(f"{key}.one" for key in plurals if f"{key}.one" not in en) == []
    for prefix in set(TEMPLATE.findall(code)):
        assert prefix in DYNAMIC, f"add the values of t(`{prefix}.${{…}}`) to DYNAMIC"
        missing = {f"{prefix}.{value}" for value in DYNAMIC[prefix]} - set(en)
        assert missing == set()


def test_no_mixed_languages() -> None:
    en, ko = load("en"), load("ko")
    # The language switch names each language in itself; everything else is translated.
    own_names = {"lang.en", "lang.ko"}
    assert [k for k, v in en.items() if HANGUL.search(v) and k not in own_names] == []
    untranslated = [k for k, v in ko.items() if not HANGUL.search(v) and k not in own_names]
    assert untranslated == []
    for key, text in en.items():
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", ko[key])), key


def test_section_5_accessible_names_are_kept() -> None:
    en = load("en")
    names = {
        "join.button": "Join",
        "join.name": "Your name",
        "hand.raise": "Raise hand",
        "hand.lower": "Lower hand",
        "floor.yield": "Yield the floor",
        "floor.grant_next": "Grant floor to next",
        "floor.end": "End turn",
        "room.start_session": "Start session",
        "agenda.start": "Start item",
        "poll.open": "Open poll",
        "poll.close": "Close poll",
        "poll.vote": "Vote",
        "feed.post": "Post statement",
        "question.ask": "Ask question",
        "room.end_session": "End session",
        "room.export": "Export minutes",
        # SPEC §9: the organiser console.
        "console.key": "Organiser key",
        "console.sign_in": "Sign in",
        "console.new": "New town hall",
        "console.field.title": "Title",
        "console.field.starts_at": "Starts at",
        "console.field.timezone": "Time zone",
        "console.field.language": "Language",
        "console.field.stream_url": "Stream URL",
        "console.field.access": "Access",
        "console.add_item": "Add agenda item",
        "console.item_title": "Item title",
        "console.item_minutes": "Minutes",
        "console.create": "Create",
        "console.copy_link": "Copy link",
        "qr.alt.participant": "QR code for the participant link",
        "console.rotate": "Rotate links",
        "console.delete": "Delete",
        "console.sign_out": "Sign out",
    }
    assert {key: en[key] for key in names} == names


def test_no_external_resources() -> None:
    """No CDN, no font service: every URL the page loads is its own."""
    text = sources() + (FRONTEND / "index.html").read_text("utf-8")
    text += (FRONTEND / "style.css").read_text("utf-8")
    # The SVG namespace is a name (createElementNS), never fetched.
    names = {"http://www.w3.org/2000/svg"}
    assert [url for url in re.findall(r"https?://[^\s\"'`)]+", text) if url not in names] == []


FACILITATION = FRONTEND.parent / "facilitation"


def logged_actions() -> set[str]:
    """The actions facilitation/ writes to the moderation log (log(room, ..., "x.y", ...),
    _logged(...), or an `action = "x.y"` handed to it)."""
    found: set[str] = set()
    for path in FACILITATION.glob("*.py"):
        src = path.read_text("utf-8")
        calls = re.finditer(r'(?:\blog|_logged)\(\s*room,[^)]*?"([a-z_]+\.[a-z_]+)"', src, re.S)
        found.update(m.group(1) for m in calls)
        assigned = r'\baction(?:, reason)? = "([a-z_]+\.[a-z_]+)"(?: if .* else "([a-z_.]+)")?'
        for m in re.finditer(assigned, src):
            found.update(x for x in m.groups() if x)
    return found


def test_every_logged_action_and_setting_has_words() -> None:
    """The public moderation log names every act and every setting in both languages."""
    actions = logged_actions()
    assert {"room.settings", "question.hide", "queue.clear"} <= actions  # the pattern works
    assert actions <= DYNAMIC["moderation.action"]
    rules = (FACILITATION / "moderation.py").read_text("utf-8")
    settings = re.search(r"class Settings:\n(.*?)\n\n", rules, re.S)
    assert settings is not None
    names = set(re.findall(r"^    ([a-z_]+): ", settings.group(1), re.M))
    assert {"queue_policy", "item_grace_s", "questions_premoderated"} <= names
    assert names <= DYNAMIC["moderation.setting"]
