"""Pure rules: eGFR, CKD stage, liver-cancer risk, BMI, reference-range flags (no Django)."""
