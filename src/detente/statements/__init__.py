"""Public statements: recorded, coded (PLOVER), checked against the record, reviewed.

See ``docs/statements.md``. Submodules: :mod:`.model` (the statements file),
:mod:`.io` (reading it), :mod:`.rules` and :mod:`.lexicon` (the transparent coder),
:mod:`.embed` (sentence embeddings in numpy), :mod:`.coder`, :mod:`.evaluate`,
:mod:`.check` (relations to the record), :mod:`.entries` (signed ledger entries),
:mod:`.claimreview` and :mod:`.brief`.
"""
