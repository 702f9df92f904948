"""Building the offline models the bot needs from registry packages."""
