"""The feed: everything a viewer may see, newest first, with live updates."""
