"""The commented example configuration, generated from the settings table.

`relance.example.toml` at the top of the repository is this text; a test keeps them equal.
"""

from __future__ import annotations

from typing import Any

from daemon.config.settings import Settings
from daemon.config.toml_out import render

HEADER = """\
# relance — exemple de configuration. Copiez-le en relance.toml et modifiez ce qui change.
# Chaque réglage a sa valeur par défaut et une ligne d'aide ; un fichier vide est valide.
# Tout réglage peut être remplacé par une variable d'environnement RELANCE_<SECTION>__<CLÉ>
# (RELANCE_DATABASE_URL, RELANCE_SMTP__PASSWORD…) ou par un fichier d'identifiant systemd nommé
# <section>.<clé> (smtp.password) dans $CREDENTIALS_DIRECTORY.
# Vérifier un fichier : `relance config check relance.toml`.

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
