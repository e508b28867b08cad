"""``energy-lake generate``: deterministic synthetic feeds in the landing layout, with a share of bad rows.

The feeds look like the real ones: realistic Colombian provider, person and company names, cities,
document types and numbers; energy and transaction types in English and Spanish spellings and mixed
case; English headers on even days and Spanish ones on odd days. Every trade's counterparty is a
provider (buy) or a customer (sell) of the same feeds, with prices that leave a margin.

Bad rows are the kinds the landing -> raw validation quarantines, one kind per bad row, in equal
turns over every row-level rule code the contracts produce (``row_rule_codes``), so each code
appears as soon as an entity has that many bad rows. With a non-zero bad share the first providers
file is also landed again, byte for byte, under another name on the last day (``duplicate_file``).

``_manifest.json`` at the root of the output folder (ignored by the landing listing, whose names
starting with ``_`` are skipped) holds the parameters and the expected counts per file and rule,
with the same keys as the run manifest's ``entities`` section so both can be compared directly.

Fast and memory-flat: good trade rows are assembled from precomputed pools of CSV text indexed by
random bytes, in chunks; only bad rows get per-row work. Same parameters and seed -> the same bytes.

One job a module:

- ``feeds``: ``FeedSpec`` and ``generate_feeds``, the writing of every landing file;
- ``parties``: the providers and customers the feeds are about;
- ``rules``: the rule codes and the records broken to fail exactly one of them;
- ``manifest``: ``_manifest.json``, and clearing an earlier output;
- ``csv_text``: CSV fields, records and numbers as the feeds write them;
- ``vocabulary``: the reference data in ``reference/`` (names, cities, spellings, bad values), read once;
- ``command``: the ``energy-lake generate`` command and its report.
"""
