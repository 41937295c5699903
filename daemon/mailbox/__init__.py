"""The coordination mailbox: directors' replies with files attached go through the intake,
bounces mark addresses failing, automatic answers are recorded and never answered.

`reading` and `bounces` turn a message's bytes into typed records (pure); `identify` finds the
school a message is about; `process` does what a message calls for; `claims` makes each message
processed once however many daemons read the mailbox; `imap` and `maildir` are the two sources
(IMAP in production, a Maildir folder for the demo); `poller` is the `mailbox` part of
`relance serve`.
"""
