"""``fileutil.FixedTimeZip`` writes each entry whole (and deflates a repeated one once per
process): the archive must be byte for byte what ``zipfile`` itself writes for the same
entries, dated ``ZIP_TIME``, mode 0644, deflated."""

from __future__ import annotations

import io
import os
import zipfile

from reporting.core.fileutil import ZIP_TIME, FixedTimeZip

THEME = b"<a:theme>" + b"<a:clr val='FF0000'/>" * 400 + b"</a:theme>"
MEMBERS = [
    ("docProps/app.xml", b"<Properties/>", True),
    ("xl/theme/theme1.xml", THEME, True),
    ("xl/worksheets/sheet1.xml", "<c><t>填报单位 &amp; 任务</t></c>" * 50, False),
    ("xl/表单说明.xml", b"", False),
    ("xl/styles.xml", os.urandom(3000), True),  # does not compress: stored longer
]


def plain(members) -> bytes:
    """The same archive through ``ZipFile.writestr`` itself."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, _ in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def fixed(members) -> bytes:
    buf = io.BytesIO()
    with FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, repeated in members:
            z.write_member(name, data, repeated=repeated)
    return buf.getvalue()


def test_entries_written_whole_give_zipfiles_own_bytes():
    assert fixed(MEMBERS) == plain(MEMBERS)


def test_a_repeated_entry_deflated_once_gives_the_same_bytes_in_every_archive():
    first = fixed(MEMBERS)
    again = [(n, d, r) for n, d, r in reversed(MEMBERS)]
    assert fixed(MEMBERS) == first
    assert fixed(again) == plain(again)
    # the same name with other content is not taken from what was deflated before
    changed = [(n, d + b"<x/>" if r else d, r) for n, d, r in MEMBERS]
    assert fixed(changed) == plain(changed)
    with zipfile.ZipFile(io.BytesIO(fixed(changed))) as z:
        assert z.read("xl/theme/theme1.xml") == THEME + b"<x/>"
        assert z.testzip() is None


def test_writestr_goes_the_same_way_and_an_unseekable_output_through_zipfile():
    buf = io.BytesIO()
    with FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, _ in MEMBERS:
            z.writestr(name, data)
    assert buf.getvalue() == plain(MEMBERS)

    class Stream(io.RawIOBase):  # a pipe: written forward only
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.data += b
            return len(b)

    out = Stream()
    with FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, repeated in MEMBERS:
            z.write_member(name, data, repeated=repeated)
    with zipfile.ZipFile(io.BytesIO(bytes(out.data))) as z:
        assert [i.filename for i in z.infolist()] == [m[0] for m in MEMBERS]
        assert z.read("xl/theme/theme1.xml") == THEME
        assert all(i.date_time == ZIP_TIME for i in z.infolist())
