"""Syncline's web UI (see `syncline.ui.ui`)."""
