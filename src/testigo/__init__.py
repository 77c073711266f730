"""testigo: verified, tamper-evident, auditable election results from tally-sheet photos."""

__version__ = "0.1.0"
