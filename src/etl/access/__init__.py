"""Who may read which table and column: personas, grants and the lake's table list, from the contracts.

May import ``model``, ``transforms`` and ``quality``.
"""
