"""The registry's rules, free of I/O and frameworks."""
