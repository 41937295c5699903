"""A school's state: evidence tracking, stage, follow-up, actions, open items, next step."""
