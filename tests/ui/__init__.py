"""Browser tests of the web UI: Playwright driving Debian's Chromium against `syncline serve`."""
