"""The process: the lifecycle owner, its parts, systemd, housekeeping, backup, purge."""
