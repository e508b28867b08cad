"""The zones' path as pure ``DataFrame -> DataFrame`` functions: value parsing, tokens, raw, transform, analytics.

No I/O: no storage, no lake tables, no session. May import ``model`` only.
"""
