"""Antre notify: the WhatsApp Business Platform integration."""
