"""The checks on an upload done before openpyxl opens it, on the bytes and the
zip alone: size, zip structure, macros, encryption, zip bombs and XML entity
tricks, each refused with UploadRefused; and the plain-English refusals they
(and the workbook checks in capacity.spreadsheet.upload) give."""
from __future__ import annotations

import io
import re
import zipfile

from .layout import (MAX_CELLS, MAX_COMPRESSION_RATIO, MAX_UNCOMPRESSED_BYTES, MAX_UPLOAD_BYTES, MAX_ZIP_MEMBERS,
                     UploadRefused)

_NOT_XLSX = "The selected file must be an Excel spreadsheet (.xlsx)"
_ENCRYPTED = ("The selected file is password protected, or is an old Excel 97-2003 workbook (.xls). Remove the "
              "password and save it as an Excel Workbook (.xlsx)")
_MACROS = ("The selected file must not contain macros. Save it as an Excel Workbook (.xlsx), not a "
           "macro-enabled workbook (.xlsm)")
_TOO_BIG_INSIDE = ("The selected file is too large once opened. Download the spreadsheet again and enter only "
                   "your figures")
_DAMAGED = "The selected file is damaged and cannot be read. Save it again as an Excel Workbook (.xlsx)"

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # encrypted OOXML, or a legacy .xls
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_UNSAFE_XML = (b"<!doctype", b"<!entity")


def check_container(data: bytes) -> None:
    """Everything that can be refused without parsing a workbook: raises
    UploadRefused, or returns None when openpyxl may open the file."""
    if not data:
        raise UploadRefused("The selected file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"The selected file must be smaller than {MAX_UPLOAD_BYTES // (1024 * 1024)}MB")
    if data.startswith(_CFB_MAGIC):
        raise UploadRefused(_ENCRYPTED)
    if not data.startswith(b"PK\x03\x04"):
        raise UploadRefused(_NOT_XLSX)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise UploadRefused(_NOT_XLSX) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise UploadRefused(_NOT_XLSX)
        names = [m.filename for m in members]
        lower = [name.lower() for name in names]
        if len(set(lower)) != len(lower):
            raise UploadRefused(_DAMAGED)
        if any(m.flag_bits & 0x1 for m in members):
            raise UploadRefused(_ENCRYPTED)
        if any(name.rsplit("/", 1)[-1] == "vbaproject.bin" or name.startswith("xl/activex/") for name in lower):
            raise UploadRefused(_MACROS)
        if sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
            raise UploadRefused(_TOO_BIG_INSIDE)
        for member in members:
            if member.file_size > 1024 * 1024 and (
                    member.compress_size == 0 or member.file_size / member.compress_size > MAX_COMPRESSION_RATIO):
                raise UploadRefused(_TOO_BIG_INSIDE)
            if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UploadRefused(_NOT_XLSX)
        if "[content_types].xml" not in lower or "xl/workbook.xml" not in lower:
            raise UploadRefused(_NOT_XLSX)
        content_types = _read_member(archive, names[lower.index("[content_types].xml")]).lower()
        if b"macroenabled" in content_types or b"vbaproject" in content_types:
            raise UploadRefused(_MACROS)
        if b"spreadsheetml.sheet.main+xml" not in content_types and \
                b"spreadsheetml.template.main+xml" not in content_types:
            raise UploadRefused(_NOT_XLSX)
        cells = 0
        for member in members:
            if member.filename.lower().endswith((".xml", ".rels", ".vml")):
                cells += _scan_xml(archive, member)
                if cells > MAX_CELLS:
                    raise UploadRefused(_TOO_BIG_INSIDE)
            else:
                _read_member(archive, member.filename, keep=False)  # checks its CRC


def _read_member(archive: zipfile.ZipFile, name: str, *, keep: bool = True) -> bytes:
    """A member, read through (which checks its CRC against the declared size)."""
    parts = []
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(1 << 16):
                if keep:
                    parts.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise UploadRefused(_DAMAGED) from None
    return b"".join(parts)


def _scan_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> int:
    """Refuse DTDs and entities (no part of a real workbook has them); count the cells."""
    cells = 0
    tail = b""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(1 << 16):
                window = (tail + chunk).lower()
                if any(marker in window for marker in _UNSAFE_XML):
                    raise UploadRefused(_DAMAGED)
                cells += len(_CELL_TAG.findall(chunk))
                tail = chunk[-16:]
    except UploadRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise UploadRefused(_DAMAGED) from None
    return cells


_check_container = check_container  # its name before it was public
