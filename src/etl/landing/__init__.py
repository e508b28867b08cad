"""The landing zone: a file's dialect, encoding and compression, its header matched to a contract, the plan
of hop 1 (which files and dates are new) and the Spark read of the planned files.

May import ``model``, ``transforms``, ``quality``, ``access`` and ``lake``.
"""
