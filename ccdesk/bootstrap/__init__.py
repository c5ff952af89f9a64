"""How a run gets its account: the settings with the command line's overrides, the API client over a sign-in,
the cache file, and demo mode's sandbox. The window (app.py), the commands (cli/) and demo mode share it, so
`services/` needs neither the sandbox nor the sign-in machinery."""
