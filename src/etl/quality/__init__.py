"""Dataset-level data quality: the rules derived from the contracts, evaluated with cuallee, and their DQDL rendering.

May import ``model`` only.
"""
