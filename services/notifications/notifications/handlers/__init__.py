"""The notifications service's use cases, plain functions of a unit of work:
accepting emails and publishing templates (`sending`), the dispatcher
(`dispatch`), other services' events kept as email jobs (`events`), the
locations' read model (`readmodel`, refilled by `rebuild`), reminders
(`reminders`) and the history administrators see (`history`). They call
`repository` for every query."""
