"""The AWS calls the code makes, the IAM permissions each needs, and the policies that decide them.

- ``recorder``: ``Recorder`` attaches to a boto3 Session or client and records every call (``Call``);
- ``permissions``: ``required(call, env)`` maps a call to the IAM actions, resource ARNs and condition keys
  AWS authorizes it by, citing the page for each; an operation nobody mapped fails loudly;
- ``policy``: ``decide`` evaluates identity, bucket and key policies as AWS documents it.
"""
