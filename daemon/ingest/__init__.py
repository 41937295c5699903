"""What directors send, read and taken in: `reports/` reads comptes rendus and ONDE extractions,
`exports/` reads export archives, `intake/` is how every file arrives (drop folder, pages, CLI,
API), is stored, or is put in quarantine with its reason."""
