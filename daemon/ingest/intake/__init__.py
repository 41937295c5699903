"""How files arrive: channels (drop folder, pages, CLI, API), storage, quarantine, the watcher."""
