"""The spine every layer reads: the entity contracts, the Spark schemas derived from them, the errors.

Imports nothing else of the package (the bottom layer).
"""
