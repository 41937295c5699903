"""The database: SQLModel tables, keyword-only data functions taking a session, migrations.

Nothing here creates an engine or reads settings at import time: callers pass the session.
"""
