"""The application shell: the commands and the daemon that wire the rooms together."""
