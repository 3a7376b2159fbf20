"""Generated inputs: Hypothesis strategies, an exact judge, and standalone repro scripts for property-based parity."""
