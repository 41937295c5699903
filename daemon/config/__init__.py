"""Configuration: the settings table, how it is loaded, and how it is written back."""

from daemon.config.loading import ConfigError, Problem, check_file, config_path, load_settings
from daemon.config.settings import Settings

__all__ = ["ConfigError", "Problem", "Settings", "check_file", "config_path", "load_settings"]
