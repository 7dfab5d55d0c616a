"""Shared kernel: pure helpers with no Django models (IDs, ROC dates, masking)."""
