"""Every refusal code of the deliberation rules, with its message, in one place.

Codes are part of the public protocol (they reach clients in `error` messages), so
they never change once published; messages may be reworded.
"""

from __future__ import annotations

ERRORS: dict[str, str] = {
    # wire / input
    "unknown_command": "This command type does not exist.",
    "invalid_data": "The command data is not valid.",
    "text_too_long": "The text is too long.",
    "text_empty": "The text is empty.",
    "duplicate_id": "An object with this id already exists.",
    # who may act
    "forbidden": "Your role may not do this.",
    "not_present": "This participant is not in the room.",
    "not_admitted": "You are waiting in the lobby until a facilitator admits you.",
    "muted": "You are muted.",
    "removed": "You were removed from the room.",
    "banned": "You are banned from this room.",
    "room_locked": "The room is locked: no new participants may join.",
    "invalid_name": "A name must show at least one visible character.",
    "name_reserved": "That name belongs to the staff of the room (or looks like it).",
    "room_full": "The room has as many participants as it admits (max_participants).",
    "rate_limited": "Slow mode: wait before posting again.",
    "target_is_facilitator": "Facilitators cannot be moderated.",
    # session lifecycle
    "session_not_live": "The session is not live.",
    "session_not_scheduled": "The session has already started.",
    "session_ended": "The session has ended; nothing can change any more.",
    # agenda
    "item_not_found": "No such agenda item.",
    "item_not_pending": "This agenda item has already been started or completed.",
    "item_not_running": "This agenda item is not the running item.",
    "item_not_paused": "The running agenda item is not paused.",
    "item_running": "The running agenda item cannot be removed.",
    "item_done": "This agenda item is completed.",
    "no_current_item": "No agenda item is running.",
    "invalid_order": "The new order must list every agenda item exactly once.",
    # speaking queue
    "queue_closed": "The speaking list is closed.",
    "queue_already_closed": "The speaking list is already closed.",
    "queue_already_open": "The speaking list is already open.",
    "queue_empty": "Nobody is waiting to speak.",
    "hand_already_raised": "Your hand is already raised.",
    "no_hand": "This participant has no raised hand.",
    "already_speaking": "You have the floor already.",
    "not_your_turn": "You do not have the floor.",
    "no_current_turn": "Nobody has the floor.",
    "turn_cap_reached": "The limit of turns per person on this item is reached.",
    # polls
    "poll_not_found": "No such poll.",
    "poll_not_draft": "This poll has already been opened.",
    "poll_not_open": "This poll is not open.",
    "poll_not_closed": "This poll is not closed yet.",
    "poll_already_published": "This poll's results are already published.",
    "invalid_poll": "The poll definition is not valid.",
    "invalid_choice": "This choice is not valid for this poll.",
    "not_eligible": "You were not in the room when this poll opened.",
    "proxy_given": "Your proxy is held by another member, whose ballot counts for you.",
    "already_voted": "This poll is final: a ballot cannot be changed once cast.",
    # statements, questions, reactions
    "statements_off": "Statements are turned off.",
    "statement_not_found": "No such statement.",
    "already_hidden": "This is already hidden.",
    "questions_off": "Questions are turned off.",
    "question_not_found": "No such question.",
    "question_closed": "This question is no longer open.",
    "already_upvoted": "You have already upvoted this question.",
    "own_question": "You cannot upvote your own question.",
    "question_not_pending": "This question is not waiting for approval.",
    "anonymous_question": "The asker of an anonymous question cannot be moved into the queue.",
    # proposals
    "proposal_not_found": "No such proposal.",
    "proposal_closed": "This proposal was merged or hidden.",
    "already_supported": "You already support this proposal.",
    "not_supported": "You do not support this proposal.",
    "own_proposal": "You cannot support your own proposal.",
    # cheering
    "no_presenter": "The running agenda item has no presenter of this name.",
    "already_revealed": "The cheers of this agenda item are already revealed.",
    # moderation
    "already_muted": "This participant is already muted.",
    "not_muted": "This participant is not muted.",
    "not_waiting": "This participant is not waiting in the lobby.",
    "already_locked": "The room is already locked.",
    "not_locked": "The room is not locked.",
    # access, roll and proxies
    "roll_only": "This town hall admits its members only: use your personal link.",
    "member_not_found": "No such member on the roll.",
    "proxy_self": "A member cannot hold their own proxy.",
    "proxy_exists": "This member has already given their proxy.",
    "proxy_chain": "Proxies cannot be chained: the holder gave their own, or the giver holds one.",
    "proxy_not_found": "This member has not given a proxy.",
}
