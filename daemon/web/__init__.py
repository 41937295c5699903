"""The web server: coordinator pages, director pages, JSON API."""
