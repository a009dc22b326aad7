"""Accuracy and cost benchmark of the estimation service (``python -m bench.estimation``)."""
