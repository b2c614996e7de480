"""Loaders: a file in, citable text out. One small function per format, chosen by file extension.

Every span kgrag stores is an offset into ``LoadedDocument.text``, so the text is returned exactly as it will
be stored: line endings normalised, trailing spaces stripped, nothing else rewritten afterwards. Structured
formats (CSV, JSON, RDF) also return ``Fact``s read straight from their fields, with spans into that text.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extraction.limits import Limits, refusal
from kg.errors import InvalidArgument, LoadError
from kg.export import GraphView, is_export, read_rdf
from kg.model import sha256_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fact:
    """A fact read directly from a structured source; spans are offsets into ``LoadedDocument.text``."""

    subject: str
    subject_start: int
    subject_end: int
    predicate: str
    object: str
    object_start: int
    object_end: int
    start: int
    end: int


@dataclass(frozen=True)
class LoadedDocument:
    source: str
    title: str
    media_type: str
    text: str
    content_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    # Spans of a table's rows or a file's records (a JSON record with its text): the units a passage keeps whole.
    records: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class _Parsed:
    text: str
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    records: tuple[tuple[int, int], ...] = ()


def load_file(path: Path, limits: Limits | None = None) -> LoadedDocument:
    """Read one file within ``limits`` (default ``Limits()``); raises ``LoadError`` naming the file and what is
    wrong with it, or which limit it passes."""
    path = Path(path)
    limits = limits or Limits()
    handler = _HANDLERS.get(path.suffix.lower())
    if handler is None:
        raise LoadError(path, f"unsupported file type {path.suffix or '(none)'!r}; supported: {_supported()}")
    try:
        with path.open("rb") as f:
            raw = f.read(limits.max_bytes + 1)  # never more than the limit, whatever the file claims to be
    except OSError as e:
        raise LoadError(path, f"cannot read: {e.strerror or e}") from e
    if len(raw) > limits.max_bytes:
        size = f"{path.stat().st_size:,} bytes"
        raise LoadError(path, refusal("max_bytes", size, limits.max_bytes))
    if not raw.strip():
        raise LoadError(path, "empty file")
    parse, media_type = handler
    try:
        if raw.startswith(b"PK\x03\x04"):
            _check_zip(raw, limits)
        parsed = parse(raw, limits)
    except _Unreadable as e:
        raise LoadError(path, str(e)) from e
    # Facts hold offsets into the text as built, which is already clean; only free text is normalised.
    text = parsed.text.rstrip() if parsed.facts else _normalise(parsed.text)
    if not text.strip():
        raise LoadError(path, "no text found")
    if len(text) > limits.max_chars:
        raise LoadError(path, refusal("max_chars", f"{len(text):,} characters of text", limits.max_chars))
    # A table or a set of records has no first line that names it; its file name does.
    fallback = _title_from("", path.stem) if parsed.facts else _title_from(text, path.stem)
    title = (parsed.title or "").strip() or fallback
    return LoadedDocument(
        source=str(path.resolve()),
        title=title,
        media_type=media_type,
        text=text,
        content_hash=sha256_bytes(raw),
        metadata=parsed.metadata,
        facts=parsed.facts,
        records=parsed.records,
    )


def load_text(
    text: str,
    *,
    source: str,
    title: str,
    media_type: str = "text/plain",
    metadata: Mapping[str, Any] | None = None,
) -> LoadedDocument:
    """Wrap in-memory text as a document; its hash is that of the normalised text's UTF-8 bytes."""
    normalised = _normalise(text)
    if not normalised.strip():
        raise LoadError(source, "no text found")
    return LoadedDocument(
        source=source,
        title=title.strip() or _title_from(normalised, source),
        media_type=media_type,
        text=normalised,
        content_hash=sha256_bytes(normalised.encode("utf-8")),
        metadata=dict(metadata or {}),
    )


def iter_files(paths: Sequence[Path], skipped: list[Path] | None = None) -> Iterator[Path]:
    """Files as given, and supported files under folders (recursively, sorted, hidden ones skipped); the
    unsupported files found in folders are appended to ``skipped``."""
    for path in paths:
        path = Path(path)
        if path.is_file():
            yield path
        elif path.is_dir():
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(path).parts
                # A broken or looping link is yielded, so that the caller reports it instead of passing over it.
                dangling = found.is_symlink() and not found.exists()
                if (found.is_file() or dangling) and not any(p.startswith(".") for p in relative):
                    if found.suffix.lower() in _HANDLERS:
                        yield found
                    else:
                        log.info("skipping %s: unsupported file type", found)
                        if skipped is not None:
                            skipped.append(found)
        else:
            raise LoadError(path, "no such file or folder")


class _Unreadable(Exception):
    """A parser's complaint, turned into a LoadError with the file name by ``load_file``."""


# Byte order marks, longest first (UTF-32's little-endian mark begins with UTF-16's).
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Without a mark, text that is not UTF-8 is read as one of these; a wider choice makes short Western text
# misdetected (French as cp1250), and a file in none of them is refused rather than misread.
SINGLE_BYTE = ("cp1252", "latin_1", "iso8859_15")


def _decode(raw: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in: a byte order mark's, UTF-8, or a single-byte encoding
    detected by charset-normalizer."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding.removesuffix("-sig")
            except UnicodeDecodeError as e:
                raise _Unreadable(f"not valid {encoding} after its byte order mark (offset {e.start})") from e
    if b"\x00" in raw:
        raise _Unreadable("binary content (NUL bytes) in a text file")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_error = f"byte 0x{raw[e.start]:02x} at offset {e.start}"
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=list(SINGLE_BYTE)).best()
    if best is None:
        raise _Unreadable(
            f"not valid UTF-8 ({utf8_error}) nor text in {', '.join(SINGLE_BYTE)}; convert the file to UTF-8"
        )
    return str(best), best.encoding


def _check_zip(raw: bytes, limits: Limits) -> None:
    """A zip container (DOCX) is refused by the sizes it declares before anything is decompressed: zipfile never
    inflates a member past its declared size, so the sum bounds what parsing it can cost."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # the format's own parser says what is wrong with it
    if declared > limits.max_unzipped:
        raise _Unreadable(refusal("max_unzipped", f"{declared:,} bytes once decompressed", limits.max_unzipped))


def _check_depth(depth: int, limits: Limits) -> None:
    if depth > limits.max_depth:
        raise _Unreadable(refusal("max_depth", f"nested {depth} levels deep", limits.max_depth))


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _json_depth(text: str) -> int:
    """How deep a JSON text nests, read from its brackets outside strings, before a recursive parser sees it."""
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub('""', text)):
        depth += 1 if match[0] in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _html_depth(html: str) -> int:
    """How deep lxml's tree of a page nests (lxml repairs unclosed tags, so this is the depth BeautifulSoup gets)."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return 0
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node)
    return deepest


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _title_from(text: str, fallback: str) -> str:
    first = text.strip().split("\n", 1)[0].strip().lstrip("#").strip()
    if 0 < len(first) <= 120:
        return first
    return re.sub(r"[_\-]+", " ", Path(fallback).stem).strip() or fallback


def _parse_txt(raw: bytes, _limits: Limits) -> _Parsed:
    text, encoding = _decode(raw)
    return _Parsed(text, metadata={"encoding": encoding})


_BLOCKS = (
    "p",
    "div",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "section",
    "article",
    "td",
    "th",
    "dt",
    "dd",
    "table",
    "ul",
    "ol",
    "br",
    "figcaption",
    "caption",
)
_CLUTTER = ("script", "style", "nav", "header", "footer", "aside", "noscript", "form", "template", "svg", "iframe")


def _html_to_text(html: str) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(_CLUTTER):
        tag.decompose()
    if soup.head:
        soup.head.decompose()
    if not title and (h1 := soup.find("h1")):
        title = h1.get_text(" ", strip=True)
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    paragraphs = [" ".join(part.split()) for part in soup.get_text().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p), title


def _parse_html(raw: bytes, limits: Limits) -> _Parsed:
    html, encoding = _decode(raw)
    _check_depth(_html_depth(html), limits)
    text, title = _html_to_text(html)
    return _Parsed(text, title, {"encoding": encoding})


def _parse_markdown(raw: bytes, limits: Limits) -> _Parsed:
    from markdown_it import MarkdownIt

    source, encoding = _decode(raw)
    heading = re.search(r"^#{1,6}\s+(.+?)\s*#*\s*$", source, flags=re.MULTILINE)
    html = MarkdownIt("commonmark").enable("table").render(source)
    _check_depth(_html_depth(html), limits)
    text, _ = _html_to_text(html)
    return _Parsed(text, heading.group(1).strip() if heading else None, {"encoding": encoding})


def _parse_pdf(raw: bytes, _limits: Limits) -> _Parsed:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise _Unreadable("encrypted PDF; decrypt it before ingesting")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except PdfReadError as e:
        raise _Unreadable(f"corrupt PDF: {e}") from e
    except (ValueError, KeyError, TypeError, OSError) as e:
        raise _Unreadable(f"corrupt PDF: {e}") from e
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise _Unreadable("no extractable text (scanned? OCR is not supported)")
    title = info.title if info and info.title else None
    metadata: dict[str, Any] = {"pages": len(pages)}
    if info and info.author:
        metadata["author"] = str(info.author)
    return _Parsed(text, title, metadata)


def _parse_docx(raw: bytes, _limits: Limits) -> _Parsed:
    from docx import Document as open_docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = open_docx(io.BytesIO(raw))
    except (PackageNotFoundError, ValueError, KeyError) as e:
        raise _Unreadable(f"corrupt DOCX: {e}") from e
    except Exception as e:  # zipfile and lxml raise their own types for damaged packages
        raise _Unreadable(f"corrupt DOCX: {e}") from e
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph) and block.text.strip():
            blocks.append(block.text.strip())
        elif isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells if c.text.strip()]
                if cells:
                    blocks.append(" | ".join(dict.fromkeys(cells)))
    props = document.core_properties
    metadata = {"author": props.author} if props.author else {}
    return _Parsed("\n\n".join(blocks), props.title or None, metadata)


class _FactText:
    """Builds ``key: value`` lines and the facts whose spans point into them."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.facts: list[Fact] = []
        self.records: list[tuple[int, int]] = []

    def close_record(self, start: int) -> None:
        """Mark the text added since ``start`` as one record."""
        if self.length > start:
            self.records.append((start, self.length))

    def parsed(self, title: str | None, metadata: dict[str, Any]) -> _Parsed:
        return _Parsed("".join(self.parts), title, metadata, tuple(self.facts), tuple(self.records))

    def add(self, text: str) -> int:
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        return start

    def record(self, subject: str, fields: Sequence[tuple[str, str]]) -> None:
        """One line ``k1: v1; k2: v2``; each non-subject field becomes a fact about ``subject``."""
        subject = _one_line(subject)
        fields = [(key, _one_line(value)) for key, value in fields]
        line_start = self.length
        subject_span: tuple[int, int] | None = None
        spans: list[tuple[str, str, int, int]] = []
        for i, (key, value) in enumerate(fields):
            if i:
                self.add("; ")
            self.add(f"{key}: ")
            value_start = self.add(value)
            if value == subject and subject_span is None:
                subject_span = (value_start, value_start + len(value))
            else:
                spans.append((key, value, value_start, value_start + len(value)))
        line_end = self.length
        self.add("\n")
        if subject_span is None:
            return
        for key, value, start, end in spans:
            if value:
                self.facts.append(
                    Fact(subject, *subject_span, _predicate(key), value, start, end, line_start, line_end)
                )


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _predicate(key: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", key.lower()).strip("_") or "value"


def _parse_csv(raw: bytes, limits: Limits) -> _Parsed:
    text, encoding = _decode(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            if any(c.strip() for c in row):
                rows.append(row)
                if len(rows) > limits.max_rows + 1:  # the header and one row too many
                    raise _Unreadable(refusal("max_rows", "too many rows", limits.max_rows))
    except csv.Error as e:
        raise _Unreadable(f"malformed CSV: {e}") from e
    if len(rows) < 2:
        raise _Unreadable("CSV needs a header row and at least one data row")
    header = [h.strip() or f"column {i + 1}" for i, h in enumerate(rows[0])]
    out = _FactText()
    for row in rows[1:]:
        cells = [c.strip() for c in row]
        fields = [(h, v) for h, v in zip(header, cells, strict=False) if v]
        if fields:
            start = out.length
            out.record(cells[0], fields)
            out.close_record(start)
    return out.parsed(None, {"rows": len(rows) - 1, "columns": header, "encoding": encoding})


_PROSE_KEYS = ("text", "content", "body", "abstract", "description", "summary")
_NAME_KEYS = ("name", "title", "label", "id")


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        if all(not isinstance(v, (Mapping, list)) for v in value):
            if value:
                yield prefix, ", ".join(str(v) for v in value)
        else:
            for item in value:
                yield from _flatten(item, prefix)
    elif value is not None and str(value).strip():
        yield prefix, str(value).strip()


def _json_records(records: Sequence[Any], limits: Limits, encoding: str) -> _Parsed:
    if len(records) > limits.max_records:
        raise _Unreadable(refusal("max_records", f"{len(records):,} records", limits.max_records))
    out = _FactText()
    title: str | None = None
    for record in records:
        start = out.length
        name = _json_record(out, record)
        out.close_record(start)
        title = title or name
    return out.parsed(title if len(records) == 1 else None, {"records": len(records), "encoding": encoding})


def _json_record(out: _FactText, record: Any) -> str | None:
    """Add one record's line and prose; returns the record's name, if it has one."""
    if not isinstance(record, Mapping):
        for _, value in _flatten(record):
            out.add(value + "\n")
        return None
    fields = list(_flatten({k: v for k, v in record.items() if k not in _PROSE_KEYS}))
    name = next((str(record[k]) for k in _NAME_KEYS if isinstance(record.get(k), (str, int))), None)
    if name is not None:
        fields.sort(key=lambda f: f[1] != name)
        out.record(name, fields)
    elif fields:
        out.add("; ".join(f"{k}: {v}" for k, v in fields) + "\n")
    for key in _PROSE_KEYS:
        if isinstance(record.get(key), str) and record[key].strip():
            out.add(_normalise(record[key]) + "\n\n")
    return name


def _parse_json(raw: bytes, limits: Limits) -> _Parsed:
    text, encoding = _decode(raw)
    _check_depth(_json_depth(text), limits)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise _Unreadable(f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from e
    return _json_records(data if isinstance(data, list) else [data], limits, encoding)


def _parse_jsonl(raw: bytes, limits: Limits) -> _Parsed:
    text, encoding = _decode(raw)
    _check_depth(_json_depth(text), limits)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if len(records) == limits.max_records:
                raise _Unreadable(refusal("max_records", "too many records", limits.max_records))
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise _Unreadable(f"invalid JSON on line {number}: {e.msg}") from e
    return _json_records(records, limits, encoding)


# An entity declaration in a DOCTYPE: the whole family of XML entity attacks (billion laughs, external entities)
# needs one, and RDF/XML has no use for them; expat's own amplification guard takes minutes to trip.
_XML_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_RDF_FORMATS = {".ttl": "turtle", ".rdf": "xml", ".owl": "xml", ".nt": "nt", ".jsonld": "json-ld", ".n3": "n3"}


def _rdf_parser(fmt: str) -> Callable[[bytes, Limits], _Parsed]:
    def parse(raw: bytes, limits: Limits) -> _Parsed:
        from rdflib import RDF, RDFS, Graph, Literal
        from rdflib.namespace import SKOS, split_uri

        if fmt == "xml" and _XML_ENTITY.search(raw):
            raise _Unreadable("XML that declares entities (an expansion bomb or an external entity) is not read")
        graph = Graph()
        try:
            graph.parse(data=raw, format=fmt)
        except Exception as e:  # rdflib raises parser-specific types
            raise _Unreadable(f"invalid RDF ({fmt}): {e}") from e
        if len(graph) > limits.max_records:
            raise _Unreadable(refusal("max_records", f"{len(graph):,} triples", limits.max_records))

        def label(node: Any) -> str:
            for prop in (RDFS.label, SKOS.prefLabel):
                found = graph.value(node, prop)
                if found is not None:
                    return str(found)
            if isinstance(node, Literal):
                return str(node)
            try:
                return split_uri(str(node))[1].replace("_", " ")
            except ValueError:
                return str(node)

        out = _FactText()
        # Triples sort by subject, so everything said about one subject is one record.
        current: tuple[Any, int] | None = None
        for s, p, o in sorted(graph):
            if p in (RDFS.label, SKOS.prefLabel):
                continue
            if current is None or current[0] != s:
                if current is not None:
                    out.close_record(current[1])
                current = (s, out.length)
            subject, predicate, obj = _one_line(label(s)), _one_line(label(p)), _one_line(label(o))
            if p == RDF.type:
                predicate = "type"
            start = out.add(subject)
            out.add(f" {predicate} ")
            obj_start = out.add(obj)
            end = out.add(".") + 1
            out.add("\n")
            out.facts.append(
                Fact(
                    subject,
                    start,
                    start + len(subject),
                    _predicate(predicate),
                    obj,
                    obj_start,
                    obj_start + len(obj),
                    start,
                    end,
                )
            )
        if current is not None:
            out.close_record(current[1])
        return out.parsed(None, {"triples": len(graph)})

    return parse


def load_export(path: Path) -> GraphView | None:
    """A kgrag export (``kgrag export --format turtle|jsonld``) read back as the records it was made from, so that
    ingesting it restores them with their provenance; ``None`` for any other file, which ``load_file`` reads."""
    fmt = _RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        return None
    from rdflib import Graph

    try:
        raw = path.read_bytes()
    except OSError as e:
        raise LoadError(path, f"cannot read: {e.strerror or e}") from e
    if fmt == "xml" and _XML_ENTITY.search(raw):
        return None  # load_file refuses it
    graph = Graph()
    try:
        graph.parse(data=raw, format=fmt)
    except Exception:  # rdflib raises parser-specific types; load_file reports the file as invalid RDF
        return None
    if not is_export(graph):
        return None
    try:
        return read_rdf(graph)
    except (InvalidArgument, KeyError, ValueError) as e:
        raise LoadError(path, f"malformed kgrag export: {e}") from e


_HANDLERS: dict[str, tuple[Callable[[bytes, Limits], _Parsed], str]] = {
    ".txt": (_parse_txt, "text/plain"),
    ".text": (_parse_txt, "text/plain"),
    ".md": (_parse_markdown, "text/markdown"),
    ".markdown": (_parse_markdown, "text/markdown"),
    ".html": (_parse_html, "text/html"),
    ".htm": (_parse_html, "text/html"),
    ".pdf": (_parse_pdf, "application/pdf"),
    ".docx": (_parse_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".csv": (_parse_csv, "text/csv"),
    ".json": (_parse_json, "application/json"),
    ".jsonl": (_parse_jsonl, "application/jsonl"),
    **{ext: (_rdf_parser(fmt), f"application/rdf+{fmt}") for ext, fmt in _RDF_FORMATS.items()},
}

SUPPORTED_EXTENSIONS = frozenset(_HANDLERS)


def _supported() -> str:
    return ", ".join(sorted(SUPPORTED_EXTENSIONS))
