"""Dataset-level data quality: the rules derived from the contracts (``rules``), their results (``results``), their
evaluation with cuallee (``evaluate``) and their DQDL rendering (``dqdl``); inside the room ``rules`` < ``results``
< ``evaluate``, and ``dqdl`` reads ``rules`` and ``results``.

May import ``model`` only.
"""
