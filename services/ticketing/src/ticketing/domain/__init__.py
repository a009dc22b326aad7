"""The queue's rules, free of I/O and frameworks: tickets, counters, numbering, phones."""
