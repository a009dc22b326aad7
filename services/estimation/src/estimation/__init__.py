"""Antre estimation: predicts when each waiting ticket will be called, and how well it did."""
