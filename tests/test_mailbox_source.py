"""Configured folder names with the server's own hierarchy delimiter."""

from __future__ import annotations

from daemon.mailbox.source import folder_name


def test_folder_names_follow_the_servers_delimiter() -> None:
    assert folder_name("relance/traités", ".") == "relance.traités"
    assert folder_name("relance/traités", "/") == "relance/traités"
    assert folder_name("/relance//refusés/", ".") == "relance.refusés"
    assert folder_name("relance/traités", "") == "relance/traités"  # a flat server
