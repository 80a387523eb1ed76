"""What the two directory readers share: the CQC care directory
(`cqc_directory`) and the ONS postcode directory (`postcode_directory`).

A reader is an iterator over the accepted records of one file (a path or a
binary file object), read once and streamed a physical line at a time (a line
longer than any real row is skipped, not held); it reports progress every so
many rows and once at the end. Every data row read ends up accepted or
rejected, with its line and a reason in plain English, in the reader's
summary. A whole file is refused when its header lacks what the reader needs
(MissingColumns) or its bytes are not the text it should be
(DirectoryEncodingError, naming the line)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO, Callable, Iterator

__all__ = ["MAX_REJECTIONS_KEPT", "Rejection", "DirectorySummary", "MissingColumns", "DirectoryEncodingError",
           "StreamedReader", "physical_lines"]

MAX_REJECTIONS_KEPT = 1000


@dataclass
class Rejection:
    """A data row a reader refused: the physical line of the file where it
    starts (1-based, the header and any preamble included) and why. Each
    reader's rejection adds what names the row (a location id, a postcode)."""

    line: int
    reason: str


class DirectorySummary:
    """What a reader made of its file, complete once the iteration is. Each
    reader's summary is a dataclass deriving from this one that declares its
    own counts (`read`, `rejected` and `rejections`, the first
    MAX_REJECTIONS_KEPT, among them) in the order its import reports them."""

    def reject(self, rejection: Rejection) -> None:
        """Count a refused row; keep it while fewer than MAX_REJECTIONS_KEPT are."""
        self.rejected += 1
        if len(self.rejections) < MAX_REJECTIONS_KEPT:
            self.rejections.append(rejection)


class MissingColumns(ValueError):
    """The header lacks columns without which the file cannot be used;
    `missing` names them all, the message says what the reader looks for."""

    def __init__(self, missing: list[str], message: str):
        super().__init__(message)
        self.missing = missing


class DirectoryEncodingError(UnicodeDecodeError):
    """The file's bytes are not the text it should be. `line` is the physical
    line (1-based) where undecodable bytes were found; `message` says what
    the text is not."""

    def __init__(self, line: int, error: UnicodeDecodeError, message: str, *, directory: str, ending: str):
        super().__init__(error.encoding, error.object, error.start, error.end, error.reason)
        self.line = line
        self.message = message
        self.directory = directory  # "CQC directory", "postcode directory"
        self.ending = ending  # what follows the byte and its position: "." or a question to the operator

    def __str__(self) -> str:
        return (f"Line {self.line} of the {self.directory} {self.message} (byte "
                f"{self.object[self.start]:#04x} at position {self.start + 1}){self.ending}")


def physical_lines(file: IO, max_bytes: int) -> Iterator[bytes | str | None]:
    """The physical lines of `file` (bytes, or text from a text file
    object), one at a time; None for a line longer than `max_bytes`, whose
    rest is read and dropped."""
    while True:
        line = file.readline(max_bytes + 1)
        if not line:
            return
        newline = b"\n" if isinstance(line, bytes) else "\n"
        if len(line) > max_bytes and not line.endswith(newline):
            while True:  # skip the rest of it
                chunk = file.readline(max_bytes)
                if not chunk or chunk.endswith(newline):
                    break
            yield None
            continue
        yield line


class StreamedReader:
    """An iterator over the accepted records of a directory file, with a
    summary of what was read (complete once the iteration is). It reads the
    file once: iterate it once. A reader defines `_records(file)` and names
    the function that makes a new one (`again`)."""

    again = ""

    def __init__(self, source: str | os.PathLike | IO[bytes], summary: DirectorySummary, *,
                 progress: Callable[[int], None] | None, progress_every: int):
        if progress_every < 1:
            raise ValueError("progress_every must be at least 1")
        self.source = source
        self.progress = progress
        self.progress_every = progress_every
        self.summary = summary
        self._started = False

    def __iter__(self) -> Iterator:
        if self._started:
            raise RuntimeError(f"A {type(self).__name__} reads its file once; call {self.again} again.")
        self._started = True
        if isinstance(self.source, (str, os.PathLike)):
            with open(self.source, "rb") as file:
                yield from self._records(file)
        else:
            yield from self._records(self.source)
        if self.progress is not None and self.summary.read % self.progress_every != 0:
            self.progress(self.summary.read)

    def _records(self, file: IO) -> Iterator:
        raise NotImplementedError
