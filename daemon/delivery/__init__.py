"""Delivery: the ledger's sending half — claim due rows, build the mail, send it over SMTP, mark.

`outbox` (claims, leases, marks), `message` (the EmailMessage), `smtp` (one connection and how a
failure is classified), `sender` (the long-running part: concurrency, rate limit, server state).
"""
