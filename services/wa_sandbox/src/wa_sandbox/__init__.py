"""wa-sandbox: a local stand-in for the WhatsApp Cloud API, for development and tests only."""
