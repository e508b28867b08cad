"""Which text encoding a landing file without a byte-order mark is in: UTF-8 or Windows-1252, decided by
what all of its bytes say, never by its first invalid byte.

A file's bytes are read once (``TextEvidence.update``, by the planner's scan; sniff feeds it the head
first) and counted as UTF-8 sees them:

- ``continuation``: bytes after the first of a valid UTF-8 multi-byte character (``ó`` = C3 B3 counts 1);
- ``stray``: bytes that are no part of any valid UTF-8 character (a Windows-1252 ``é``, E9, pasted into
  UTF-8 text, or a sequence cut by a bad copy).

Then ``decide``:

1. no stray byte: UTF-8;
2. at least as many UTF-8 characters as stray bytes: UTF-8 with a few damaged values. Spark's reader turns each
   stray byte into U+FFFD, and the raw hop quarantines exactly the records holding one
   (``<column>_bad_encoding``, the reason naming the column); every other record keeps its accents;
3. UTF-8 characters, but fewer than stray bytes, where their Windows-1252 reading is mojibake
   (``Ã³`` for ``ó``: UTF-8 text read as Windows-1252, which ftfy's ``is_bad`` recognises): the file
   mixes two encodings, and either reading would corrupt or quarantine a good part of it: refused;
4. a byte Windows-1252 leaves undefined (81 8D 8F 90 9D): neither encoding, refused;
5. otherwise Windows-1252 (the Spanish spreadsheet export; a byte pair that happens to be valid UTF-8,
   ``Óº``, is no mojibake and stays as written).

A valid UTF-8 file whose text is itself mojibake (UTF-8 read as Windows-1252 and saved as UTF-8 again,
``MarÃ­a``) is refused too: loaded, its names would never match anything. Only the first ``SUSPECTS``
runs of non-ASCII characters are judged, so a large file costs no more than its first accents.
"""

from __future__ import annotations

import codecs
import re

from ftfy import fix_encoding
from ftfy.badness import is_bad

from energy_lake.etl.model.errors import FeedRejected

SUSPECTS = 64  # runs of non-ASCII characters kept for the mojibake check
_CONTEXT = 12  # characters kept on each side of a run: ftfy judges a sequence in its context
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
_STRAY = re.compile("[\udc80-\udcff]")  # surrogateescape: one per byte that is no UTF-8
_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]+")  # decoded UTF-8 characters beyond ASCII


class TextEvidence:
    """What a stream of bytes says about its encoding (see the module's docstring); fed chunk by chunk."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._bytes_in = 0
        self._chars_out = 0
        self.stray = 0
        self.undefined = 0  # bytes Windows-1252 does not define
        self.suspects: list[bytes] = []  # the bytes of the first runs of non-ASCII characters, in context

    @property
    def continuation(self) -> int:
        # Each byte becomes one character (ASCII, or a stray byte's surrogate) except the continuation bytes
        # of multi-byte characters; bytes the decoder holds (a character cut at a chunk's end) are not out yet.
        return self._bytes_in - len(self._decoder.getstate()[0]) - self._chars_out

    def update(self, chunk: bytes, *, final: bool = False) -> None:
        text = self._decoder.decode(chunk, final)
        self._bytes_in += len(chunk)
        self._chars_out += len(text)
        if text.isascii():
            return
        self.undefined += len(chunk) - len(chunk.translate(None, _CP1252_UNDEFINED))
        try:
            text.encode("utf-8")  # the fast way to know there is no stray byte's surrogate: C, no regex
        except UnicodeEncodeError:
            self.stray += len(_STRAY.findall(text))
        for run in _NON_ASCII.finditer(text):
            if len(self.suspects) >= SUSPECTS:
                break
            start, end = max(run.start() - _CONTEXT, 0), run.end() + _CONTEXT
            self.suspects.append(text[start:end].encode("utf-8", "surrogateescape"))

    def decide(self, file: str) -> str:
        """The encoding Spark's reader is given (``UTF-8`` or ``windows-1252``), or ``FeedRejected``."""
        if self.stray == 0:
            # U+FFFD sent as such is damage the raw hop quarantines, not mojibake (ftfy counts two in a row).
            twice = [s for s in self._runs("utf-8") if is_bad(s.replace("\ufffd", " "))]
            if twice:
                raise FeedRejected(
                    file,
                    f"the text is UTF-8 encoded twice ({_shown(twice[0])}: UTF-8 read as Windows-1252 and saved "
                    "as UTF-8 again); export it again as UTF-8 from the original",
                    "bad_encoding",
                )
            return "UTF-8"
        if self.continuation >= self.stray:
            return "UTF-8"
        if self.continuation and any(is_bad(s) for s in self._runs("cp1252")):
            raise FeedRejected(
                file,
                f"the file mixes encodings (UTF-8 characters: {self.continuation}, bytes that are not UTF-8: "
                f"{self.stray}, Windows-1252?); save the whole file as UTF-8",
                "bad_encoding",
            )
        if self.undefined:
            raise FeedRejected(file, "the file is neither UTF-8 nor Windows-1252 text", "bad_encoding")
        return "windows-1252"

    def _runs(self, codec: str) -> list[str]:
        return [s.decode(codec, errors="replace") for s in self.suspects]


def _shown(text: str) -> str:
    """The first mojibake of a suspect and what it stands for, without the context (which may be a name)."""
    run = re.search("[^\x00-\x7f]+", text)
    bad = run.group() if run else text
    return f"{bad!r} stands for {fix_encoding(bad)!r}"
