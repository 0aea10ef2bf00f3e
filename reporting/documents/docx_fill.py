"""One .docx template filled for many contexts: rendered once, then each text put in place.

``render_docx`` parses the template, renders it with docxtpl, rewrites the tree and zips it
again for every document: for the quarter's 督办单 (a hundred or more from one template) that
is most of their cost. ``DocxFill`` renders the template once with a marker for each value,
keeps the finished parts, and for each document puts the escaped values where the markers
are and zips the parts with the same fixed entries — the same bytes as ``render_docx``.

Only where that is sure to hold: a template whose tags are all ``{{ name }}``, ``{% if name
%}`` / ``{%p if name %}`` … ``endif`` and ``{% cellbg name %}`` (a branch depends only on
whether a value is empty: one finished copy per set of empty values), and values that are
plain text (no line breaks, tabs or other control characters, no double quote). Anything
else is rendered in full by ``render_docx``.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from reporting.core.fileutil import FixedTimeZip, SyncLater, atomic_write_bytes

_MARK = "\ue000{}\ue001"  # private-use characters: never in a template or a value
_MARKED = re.compile("\ue000([0-9]+)\ue001")
_TAG = re.compile(r"\{[{%#].*?[}%#]\}", re.S)
_SIMPLE_TAGS = (
    re.compile(r"\{\{\s*\w+\s*\}\}"),
    re.compile(r"\{%p?\s*if\s+\w+\s*%\}"),
    re.compile(r"\{%p?\s*endif\s*%\}"),
    re.compile(r"\{%\s*cellbg\s+\w+\s*%\}"),
)
_NOT_PLAIN = re.compile('[\x00-\x1f\x7f"\ue000\ue001\ufffe\uffff\ud800-\udfff]')
_TITLE = "\x00title"  # the core properties' title, a value of its own


def simple_template(template: Path) -> bool:
    """Whether every tag of ``template`` is one ``DocxFill`` can fill (see the module doc)."""
    try:
        with zipfile.ZipFile(template) as z:
            texts = [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError):
        return False  # render_docx says what is wrong with it
    for text in texts:
        starts = len(re.findall(r"\{[{%#]", text))
        tags = _TAG.findall(text)
        if len(tags) != starts:
            return False
        if not all(any(p.fullmatch(t) for p in _SIMPLE_TAGS) for t in tags):
            return False
    return True


def _escape(text: str) -> str:
    """As lxml writes text (and, without a double quote, an attribute value)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class DocxFill:
    """``render_docx(template, context, path, title=…, author=author, when=when,
    closing_with_table=…)`` for many contexts, faster (see the module doc)."""

    def __init__(
        self, template: Path, *, author: str, when: datetime, closing_with_table: bool = False
    ) -> None:
        self.template = Path(template)
        self.author = author
        self.when = when
        self.closing_with_table = closing_with_table
        self.simple = self.template.exists() and simple_template(self.template)
        # (names, empty names) → parts: (name, bytes) or (name, [text, index, text, …])
        self._finished: dict[tuple, list[tuple[str, bytes | list]]] = {}

    def data(self, context: dict, *, title: str) -> bytes:
        """The .docx ``render_docx`` would write for ``context`` and ``title``."""
        values = {**context, _TITLE: title}
        if not self.simple or not all(
            type(v) is str and not _NOT_PLAIN.search(v) for v in values.values()
        ):
            return self._render(context, title)
        names = tuple(values)
        empty = frozenset(k for k, v in values.items() if not v)
        parts = self._finished.get((names, empty))
        if parts is None:
            parts = self._finished[(names, empty)] = self._finish(names, empty)
        out = io.BytesIO()
        with FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, part in parts:
                if isinstance(part, bytes):
                    z.writestr(name, part)
                    continue
                text = "".join(
                    _escape(values[names[int(p)]]) if i % 2 else p for i, p in enumerate(part)
                )
                z.writestr(name, text.encode("utf-8"))
        return out.getvalue()

    def write(
        self, context: dict, out_path: Path, *, title: str, later: SyncLater | None = None
    ) -> Path:
        """Write it atomically (made durable now, or by ``later``)."""
        atomic_write_bytes(out_path, self.data(context, title=title), later)
        return out_path

    def _render(self, context: dict, title: str) -> bytes:
        from reporting.documents.docx_render import docx_bytes

        return docx_bytes(
            self.template,
            context,
            title=title,
            author=self.author,
            when=self.when,
            closing_with_table=self.closing_with_table,
        )

    def _finish(self, names: tuple, empty: frozenset) -> list[tuple[str, bytes | list]]:
        """The template rendered once with a marker for each value not empty."""
        marked = {k: "" if k in empty else _MARK.format(i) for i, k in enumerate(names)}
        title = marked.pop(_TITLE)
        data = self._render(marked, title)
        parts: list[tuple[str, bytes | list]] = []
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                raw = z.read(info.filename)
                if "\ue000".encode() in raw:
                    parts.append((info.filename, _MARKED.split(raw.decode("utf-8"))))
                else:
                    parts.append((info.filename, raw))
        return parts
