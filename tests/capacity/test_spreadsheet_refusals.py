"""The bulk update spreadsheet refused as a whole, before anything is read:
macros, encryption, other files, another template version, zip bombs..."""
import io
import zipfile

import pytest
from openpyxl import Workbook

from capacity.spreadsheet import CAPACITY_HEADERS, CARE_HOME_HEADERS, MAX_UPLOAD_BYTES, UploadRefused, read_upload

from .spreadsheet_helpers import ALL_IDS, _edit


# -- refusals -----------------------------------------------------------------------------
def _rezip(data: bytes, *, add: dict | None = None, change: dict | None = None, drop: set | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if drop and info.filename in drop:
                continue
            content = source.read(info.filename)
            if change and info.filename in change:
                content = change[info.filename](content)
            target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _refused(data: bytes) -> str:
    with pytest.raises(UploadRefused) as refused:
        read_upload(data, allowed_location_ids=ALL_IDS)
    return str(refused.value)


def test_a_macro_enabled_workbook_is_refused(template):
    xlsm = _rezip(template, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 512},
                  change={"[Content_Types].xml": lambda xml: xml.replace(
                      b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")})
    assert "must not contain macros" in _refused(xlsm)


def test_a_vba_project_alone_is_refused(template):
    assert "must not contain macros" in _refused(_rezip(template, add={"xl/vbaProject.bin": b"\0" * 64}))


def test_a_macro_enabled_content_type_alone_is_refused(template):
    data = _rezip(template, change={"[Content_Types].xml": lambda xml: xml.replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")})
    assert "must not contain macros" in _refused(data)


def test_a_random_zip_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
        archive.writestr("photo.jpg", b"\xff\xd8\xff" + b"\0" * 100)
    assert _refused(out.getvalue()) == "The selected file must be an Excel spreadsheet (.xlsx)"


def test_a_csv_is_refused():
    csv = b"Location ID,Location name\n1-100,Acorn House\n"
    assert _refused(csv) == "The selected file must be an Excel spreadsheet (.xlsx)"


def test_an_empty_file_is_refused():
    assert _refused(b"") == "The selected file is empty"


def test_a_file_over_the_size_limit_is_refused():
    assert _refused(b"PK\x03\x04" + b"\0" * MAX_UPLOAD_BYTES) == "The selected file must be smaller than 5MB"


def test_an_encrypted_workbook_is_refused():
    # Excel saves a password protected workbook as an OLE compound file
    assert "password protected" in _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)


def test_an_encrypted_zip_member_is_refused(template):
    # zipfile cannot write encrypted members: set the "encrypted" flag of one
    # member in the central directory, as a password protected zip has it
    data = bytearray(template)
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = int.from_bytes(data[position + 28:position + 30], "little")
        if data[position + 46:position + 46 + name_length].endswith(b"sheet2.xml"):
            data[position + 8] |= 0x1
        position = data.find(b"PK\x01\x02", position + 4)
    assert any(info.flag_bits & 0x1 for info in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist())
    assert "password protected" in _refused(bytes(data))


def test_a_workbook_without_the_marker_is_refused(template):
    workbook = Workbook()
    workbook.active.title = "Instructions"
    for title, headers in (("Capacities", CAPACITY_HEADERS), ("Care Homes", CARE_HOME_HEADERS)):
        sheet = workbook.create_sheet(title)
        sheet.append(list(headers))
    out = io.BytesIO()
    workbook.save(out)
    assert "is not the Capacity Tracker bulk update spreadsheet" in _refused(out.getvalue())

    def remove_meta(workbook):
        del workbook["_meta"]
    assert "is not the Capacity Tracker bulk update spreadsheet" in _refused(_edit(template, remove_meta))


def test_a_template_of_another_version_is_refused(template):
    def change(workbook):
        workbook["_meta"]["B2"].value = "0"
    assert "old version of the spreadsheet (version 0)" in _refused(_edit(template, change))


def test_a_renamed_sheet_or_changed_headings_are_refused(template):
    def rename(workbook):
        workbook["Care Homes"].title = "Homes"
    assert "has no Care Homes sheet" in _refused(_edit(template, rename))

    def reheading(workbook):
        workbook["Capacities"]["F1"].value = "Beds"
    assert "column headings on the Capacities sheet have been changed" in _refused(_edit(template, reheading))


def test_a_zip_bomb_is_refused_before_it_is_opened(template):
    bomb = _rezip(template, add={"xl/media/padding.xml": b"<a>" + b"0" * (60 * 1024 * 1024) + b"</a>"})
    assert len(bomb) < MAX_UPLOAD_BYTES
    assert "too large once opened" in _refused(bomb)


def test_an_absurdly_compressed_member_is_refused(template):
    # under the 50 MB limit, but 20 MB squeezed into a few kilobytes
    bomb = _rezip(template, add={"xl/media/padding.bin": b"\0" * (20 * 1024 * 1024)})
    assert "too large once opened" in _refused(bomb)


def test_xml_entities_are_refused(template):
    laughs = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    data = _rezip(template, change={"xl/workbook.xml": lambda xml: laughs + xml})
    assert "damaged" in _refused(data)


def test_a_damaged_zip_is_refused(template):
    assert _refused(template[: len(template) // 2]) == "The selected file must be an Excel spreadsheet (.xlsx)"
