"""The commented example configuration, generated from the settings table.

`relance.example.toml` at the top of the repository is this text; a test keeps them equal.
"""

from __future__ import annotations

from typing import Any

from daemon.config.settings import Settings
from daemon.config.toml_out import render

HEADER = """\
# relance — example configuration. Copy to relance.toml and edit what differs.
# Every setting is shown with its default and one line of help; an empty file is valid.
# Any setting can be overridden by an environment variable RELANCE_<SECTION>__<KEY>
# (RELANCE_DATABASE_URL, RELANCE_SMTP__PASSWORD…), or by a systemd credential file named
# <section>.<key> (smtp.password) in $CREDENTIALS_DIRECTORY.
# Check a file with `relance config check relance.toml`.

"""

# Values shown in the example where the default is empty (placeholders, not real addresses).
EXAMPLE_VALUES: dict[tuple[str, ...], Any] = {
    ("contacts", "coordinator_email"): "coordination@example.org",
    ("contacts", "coordinators"): ["coordination@example.org"],
    ("contacts", "export_support_email"): "support-export@example.org",
    ("contacts", "onde_support_email"): "assistance-onde@example.org",
}


def example_toml() -> str:
    def value_of(path: tuple[str, ...], value: Any) -> Any:
        return EXAMPLE_VALUES.get(path, value)

    return HEADER + render(Settings(), mask_secrets=False, with_help=True, value_of=value_of)
