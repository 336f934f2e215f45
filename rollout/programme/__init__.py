"""Database writers for the programme: its LCPs and waves, launches, recorded progress."""
