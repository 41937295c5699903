"""The deciding half of the reminders: who is due, what the mail says, when it may leave.

`calendar` (school days, sending window), `policy` (each stage's cadence and ladder), `due`
(pure decisions taking `now`), `compose` (templates → payload), `digest` (the coordinators'
daily mail), `sweep` (one tick: decide and write ledger rows), `scheduler` (the periodic tick).
Sending is `daemon.delivery`'s job: this package only writes `Reminder` rows.
"""
