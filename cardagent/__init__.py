"""HealthBank card agent: a small local program that reads the NHI IC card for the HealthBank web pages.

Plain Python (standard library + ``cryptography``; ``pyscard`` only when a real reader is used), no Django.
``cardagent.proof`` is what the HealthBank server imports to verify card proofs.
"""

__version__ = "1"
