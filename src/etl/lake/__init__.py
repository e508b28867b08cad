"""The lake itself: storage (local or S3), the Iceberg runtime and tables, the state tables, the run lock,
zone locations, run manifests, table maintenance and crash failpoints.

May import ``model``, ``transforms`` and ``quality``.
"""
