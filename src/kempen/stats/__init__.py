"""Pure statistics, fed with sufficient statistics; imports nothing else of Kempen."""
