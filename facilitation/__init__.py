"""Townhall's deliberation rules: pure functions on the standard library and ``immutables``
(persistent maps, decision 0005); import-linter checks that nothing else is imported.

Entry points: `facilitation.room` (`RoomState`, `initial_state`, `decide`, `evolve`,
`fold`, `next_deadlines`, `TimerExpired`), `facilitation.roles.can`,
`facilitation.codec` (wire mapping), `facilitation.views` (`snapshot`, `project`),
`facilitation.errors.ERRORS`. One module per feature, each with its commands, events,
state, `decide` and `evolve`. The rules are described in docs/rules.md.
"""
