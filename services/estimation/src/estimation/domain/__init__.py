"""The pure model of a service queue and the predictor; no I/O, no framework imports."""
