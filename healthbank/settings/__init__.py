"""Settings: base.py plus one thin overlay (embedded, test, production)."""
