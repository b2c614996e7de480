"""``kgrag``: each command parses its options, calls one ``KnowledgeGraph`` method and prints the result.

Human-readable output by default, JSON with ``--json``; a library error becomes a one-line message and exit
code 1 (2 for usage errors, as click does).
"""

from __future__ import annotations

import json
import logging
import re
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from extraction.limits import MB, Limits
from extraction.records import Stop
from kg.audit import ACTIONS
from kg.embedding import EMBEDDING_BACKENDS
from kg.errors import InvalidArgument, KgragError, StaleCitation
from kg.export import EXPORT_FORMATS
from kg.model import PII_MODES, PiiMode, Principal, StoreStats, clean_groups
from kgrag.api import KnowledgeGraph, suggest_domain
from kgrag.picture import draw_evidence, picture_format
from kgrag.settings import Settings
from retrieval.answer import Answer
from retrieval.result import RetrievalResult

F = TypeVar("F", bound=Callable[..., Any])

UNVERIFIED = "  [UNVERIFIED]"  # marks a citation that no longer matches the stored document


def _split_groups(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    try:
        return clean_groups(value.split(","))
    except InvalidArgument as e:
        raise click.BadParameter(str(e)) from None


KEY_HELP = "An API key of the store's principals (needed once the store has any). Env: KGRAG_KEY."


def store_option(func: F) -> F:
    """Where the graph is, who calls (``--key``) and ``--json``: every command takes all three."""
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)
    func = click.option("--key", envvar="KGRAG_KEY", help=KEY_HELP)(func)
    return click.option(
        "--store",
        envvar="KGRAG_STORE",
        help="Embedded store path (default .kgrag/graph.db) or a Neo4j URI (neo4j://host:7687; credentials "
        "from NEO4J_USER, NEO4J_PASSWORD, database from NEO4J_DATABASE). Env: KGRAG_STORE.",
    )(func)


def asking_options(func: F) -> F:
    """How many passages, as which groups and who asks: what query and answer take alike."""
    options = [
        click.option("-k", "--k", "k", type=click.IntRange(1, 100), help="How many passages to retrieve."),
        click.option(
            "--groups",
            callback=_split_groups,
            help="The caller's access groups, comma-separated (default: public).",
        ),
        click.option("--as", "user", help="Who is asking (recorded with the query)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def model_options(func: F) -> F:
    """The models that read text: only commands that read documents or questions take them."""
    options = [
        click.option("--spacy-model", envvar="KGRAG_SPACY_MODEL", help="Any installed spaCy pipeline."),
        click.option(
            "--embedding-model", envvar="KGRAG_EMBEDDING_MODEL", help="A sentence-transformers name or folder."
        ),
        click.option(
            "--embedding-backend",
            envvar="KGRAG_EMBEDDING_BACKEND",
            type=click.Choice(EMBEDDING_BACKENDS),
            help="Run the encoder with PyTorch or ONNX Runtime (exported at first use and cached).",
        ),
        click.option(
            "--domain",
            envvar="KGRAG_DOMAIN",
            type=click.Path(exists=True, dir_okay=False),
            help="A domain pack (JSON): entity patterns, predicate synonyms, ontology.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


SIZE = re.compile(r"(\d+)\s*([KMG]?)B?")


def _bytes(text: str, option: str) -> int:
    """``512KB``, ``20MB``, ``1GB`` or a number of bytes."""
    match = SIZE.fullmatch(text.strip().upper())
    if match is None:
        raise click.BadParameter(f"{text!r} is not a size such as 512KB or 20MB", param_hint=option)
    return int(match[1]) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[match[2]]


def _size(_ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    return None if value is None else _bytes(value, f"--{(param.name or '').replace('_', '-')}")


def _mb(size: int) -> str:
    return f"{size // MB}MB"


def limit_options(func: F) -> F:
    """What one file may cost ``ingest`` (``extraction/limits.py``); each defaults to ``Limits()``."""
    defaults = Limits()
    options = [
        click.option("--max-bytes", callback=_size, help=f"Largest file (default {_mb(defaults.max_bytes)})."),
        click.option(
            "--max-unzipped",
            callback=_size,
            help=f"Largest decompressed size of a DOCX or other zip container (default {_mb(defaults.max_unzipped)}).",
        ),
        click.option(
            "--max-rows", type=click.IntRange(min=1), help=f"Most rows of a table (default {defaults.max_rows:,})."
        ),
        click.option(
            "--max-records",
            type=click.IntRange(min=1),
            help=f"Most records of a JSON file or triples of an RDF file (default {defaults.max_records:,}).",
        ),
        click.option(
            "--max-depth",
            type=click.IntRange(min=1),
            help=f"Deepest nesting of JSON or HTML (default {defaults.max_depth}).",
        ),
        click.option(
            "--max-chars",
            type=click.IntRange(min=1),
            help=f"Most characters of text per file (default {defaults.max_chars:,}).",
        ),
        click.option(
            "--max-seconds",
            type=click.FloatRange(min=0, min_open=True),
            help=f"Longest time to read one file (default {defaults.max_seconds:g} s).",
        ),
        click.option(
            "--max-memory",
            callback=_size,
            help=f"Memory of the process reading a file (default {_mb(defaults.max_memory)}).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _limits(options: dict[str, Any]) -> Limits | None:
    """The limits given as flags over the defaults; ``None`` when no flag was given."""
    given = {name: options.pop(name) for name in [f.name for f in fields(Limits)] if name in options}
    chosen = {name: value for name, value in given.items() if value is not None}
    return Limits(**chosen) if chosen else None


def _open(options: dict[str, Any], create: bool = False) -> KnowledgeGraph:
    """The store the options name; only the commands that write a graph (``create``) make a missing one."""
    settings = Settings.from_env(
        spacy_model=options.pop("spacy_model", None),
        embedding_model=options.pop("embedding_model", None),
        embedding_backend=options.pop("embedding_backend", None),
        domain=options.pop("domain", None),
        limits=_limits(options),
    )
    return KnowledgeGraph.open(options.pop("store"), settings, key=options.pop("key", None), create=create)


def handle_errors(func: F) -> F:
    """Turn kgrag's own errors into a one-line message: a bad argument is a usage error (exit code 2), any other
    error exit code 1; anything else is a bug and keeps its traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidArgument as e:
            raise click.UsageError(str(e)) from e
        except KgragError as e:
            raise click.ClickException(str(e)) from e

    return wrapper  # type: ignore[return-value]


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group()
@click.version_option(package_name="kgrag")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Knowledge-graph retrieval with cited evidence.

    \b
    kgrag ingest data/corpus
    kgrag query "Which agency approved the drug made by the company Halvorsen acquired?"
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--acl",
    default="public",
    show_default=True,
    callback=_split_groups,
    help="Comma-separated access groups for these documents.",
)
@click.option("--force", is_flag=True, help="Re-extract documents even when unchanged.")
@click.option("--as", "user", help="Who is ingesting (recorded when it changes a document's groups).")
@click.option(
    "--pii",
    type=click.Choice(PII_MODES),
    help="Personal data: redact before storing, or mask in results for callers outside the pii group "
    "(default off). Env: KGRAG_PII.",
)
@store_option
@model_options
@limit_options
@handle_errors
def ingest(
    paths: tuple[str, ...],
    acl: tuple[str, ...],
    force: bool,
    user: str | None,
    pii: PiiMode | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Ingest files and folders (txt, md, html, pdf, docx, csv, json, jsonl, RDF).

    Unchanged documents are skipped (unless ingested under another --pii mode), or regrouped when --acl differs
    (audited as acl set is); a file that cannot be read, or passes a limit (--max-...), is reported and the others
    go on. Ctrl-C or SIGTERM stops after the current document and still prints the report. Exits 1 if any file
    failed, 130 after Ctrl-C, 143 after SIGTERM.

    \b
    kgrag ingest data/corpus --acl public
    kgrag ingest reports/ --acl oncology,staff --store reports.db
    kgrag ingest data/restricted --acl hr --pii redact
    kgrag ingest exports/ --max-rows 100000 --max-seconds 300
    """
    stop = Stop()
    with _open(options, create=True) as kg, _stopping_on_signals(stop):
        progress = sys.stderr.isatty() and not as_json
        report = kg.ingest(paths, groups=acl, progress=progress, force=force, pii=pii, stop=stop, user=user)
    if as_json:
        _echo_json(report.to_dict())
    else:
        regrouped = f", regrouped {len(report.regrouped)}" if report.regrouped else ""
        not_reached = f", not reached {report.not_reached}" if report.stopped else ""
        skipped = f", skipped {len(report.skipped)} unsupported (-v names them)" if report.skipped else ""
        click.echo(
            f"ingested {report.ingested}, unchanged {report.unchanged}{regrouped}, failed {len(report.failed)}"
            f"{not_reached}{skipped} ({report.chunks} chunks, {report.relations} relations, {report.seconds:.1f}s)"
        )
        for failure in report.failed:
            click.echo(f"  failed: {failure.source}: {failure.reason}", err=True)
        if report.stopped:
            click.echo(f"stopped by {report.stopped}: run the same command again to ingest the rest", err=True)
    if stop.reason is not None:  # also when the signal came after the last document: it was asked to stop
        sys.exit(128 + signal.Signals[stop.reason].value)
    if report.failed:
        sys.exit(1)


@contextmanager
def _stopping_on_signals(stop: Stop) -> Iterator[None]:
    """While ingesting, SIGINT and SIGTERM ask the ingestion to stop after its current document; the handlers
    that were there before come back afterwards."""

    def handle(signum: int, _frame: object) -> None:
        if stop.reason is None:
            click.echo(f"{signal.Signals(signum).name}: stopping after the current document", err=True)
        stop.set(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@cli.command()
@click.argument("questions", nargs=-1, required=True)
@asking_options
@click.option(
    "--graph",
    "picture",
    type=click.Path(dir_okay=False),
    help="Also draw the evidence (linked entities, paths, bridges, passages) to FILE.svg, FILE.html or FILE.png.",
)
@store_option
@model_options
@handle_errors
def query(
    questions: tuple[str, ...],
    k: int | None,
    groups: tuple[str, ...] | None,
    user: str | None,
    picture: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Retrieve cited passages, triples and graph paths for one or more questions.

    With --json, one question prints one result object, several print a list of them (in the order asked).
    A blank question is reported (exit code 2) and the others are answered.

    \b
    kgrag query "Who leads the trial of the drug Halvorsen acquired?" --k 5
    kgrag query "first question" "second question" --groups public,oncology --as alice --json
    kgrag query "Who leads the trial of the drug Halvorsen acquired?" --graph evidence.svg
    """
    fmt = picture_format(picture) if picture else None
    if picture and len(questions) > 1:
        raise click.UsageError("--graph draws one question's evidence: ask one question")
    blank = [i for i, question in enumerate(questions, start=1) if not question.strip()]
    for i in blank:
        click.echo(f"Error: question {i} is empty; give the question in words", err=True)
    asked = [q for q in questions if q.strip()]
    results = []
    if asked:
        with _open(options) as kg:
            results = [kg.query(question, k=k, groups=groups, user=user) for question in asked]
    if picture and fmt and results:
        try:
            Path(picture).write_bytes(draw_evidence(results[0], fmt))
        except OSError as e:
            raise click.ClickException(f"cannot write {picture}: {e.strerror or e}") from e
    if as_json:
        _echo_json(results[0].to_dict() if len(questions) == 1 else [r.to_dict() for r in results])
    else:
        for i, result in enumerate(results):
            if len(questions) > 1:
                click.echo(("\n" if i else "") + f"Q: {result.question}")
            click.echo(format_result(result))
    if blank:
        sys.exit(2)


@cli.command()
@click.argument("question")
@asking_options
@click.option(
    "--generate",
    is_flag=True,
    help="Have the chat endpoint of KGRAG_GENERATOR_URL and KGRAG_GENERATOR_MODEL write the answer from the same "
    "evidence; each sentence's citations are checked.",
)
@store_option
@model_options
@handle_errors
def answer(
    question: str,
    k: int | None,
    groups: tuple[str, ...] | None,
    user: str | None,
    generate: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Answer a question in a few words, with a verified citation for every claim, or say what is missing.

    The answer is read from the cited evidence `kgrag query` returns (no language model): the entity or value a
    relation path ends on, a compared value, or the best supporting sentence. Exits 0 also when it abstains.

    \b
    kgrag answer "Who leads the trial of the drug Halvorsen licensed in 2023?"
    kgrag answer "Which trial enrolled more patients, HLV-301 or CDR-204?" --json
    KGRAG_GENERATOR_URL=http://127.0.0.1:8080/v1 KGRAG_GENERATOR_MODEL=m kgrag answer "..." --generate
    """
    with _open(options) as kg:
        found = kg.answer(question, k=k, groups=groups, user=user, generate=generate)
    if as_json:
        _echo_json(found.to_dict())
    else:
        click.echo(format_answer(found))


@cli.command()
@click.argument("doc_id")
@click.option("--span", help="Print only START:END of the document's extracted text.")
@click.option(
    "--hash",
    "content_hash",
    help="The cited version (sha256, or its first 12+ hex digits as results print them); refuse any other.",
)
@click.option("--groups", callback=_split_groups, help="The caller's access groups (default: public).")
@store_option
@handle_errors
def show(
    doc_id: str,
    span: str | None,
    content_hash: str | None,
    groups: tuple[str, ...] | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Print a document (or a cited span of it), to check a citation in one step.

    With --hash, a citation of another version than the stored one is an error and nothing is printed.

    \b
    kgrag show 3f2a9c... --span 120:348 --hash 9b1c04...
    """
    with _open(options) as kg:
        try:
            doc = kg.document(doc_id, groups=groups, version=content_hash)
        except StaleCitation as e:
            raise click.ClickException(f"{e}; nothing printed") from e
    start, end = _parse_span(span, len(doc.text))
    text = doc.text[start:end]
    if as_json:
        _echo_json(
            {
                "id": doc.id,
                "title": doc.title,
                "source": doc.source,
                "content_hash": doc.content_hash,
                "start": start,
                "end": end,
                "text": text,
            }
        )
    else:
        click.echo(f"{doc.title}  ({doc.source}, sha256 {doc.content_hash[:12]}, chars {start}-{end})")
        click.echo(text)


def _parse_span(span: str | None, length: int) -> tuple[int, int]:
    if span is None:
        return 0, length
    try:
        start_text, end_text = span.split(":")
        start, end = int(start_text), int(end_text)
    except ValueError:
        raise click.BadParameter(f"{span!r} is not START:END", param_hint="--span") from None
    if not 0 <= start <= end <= length:
        raise click.BadParameter(f"{span} is outside the document (0:{length})", param_hint="--span")
    return start, end


@cli.command()
@store_option
@handle_errors
def stats(as_json: bool, **options: Any) -> None:
    """Count documents, chunks, entities, mentions and relations in the store."""
    with _open(options) as kg:
        counts = kg.stats()
    data = {name: getattr(counts, name) for name in ("documents", "chunks", "entities", "mentions", "relations")}
    if as_json:
        _echo_json(data)
    else:
        for name, value in data.items():
            click.echo(f"{name:>10}  {value}")


@cli.command()
@click.option("--groups", callback=_split_groups, help="The caller's access groups (default: public).")
@store_option
@handle_errors
def documents(groups: tuple[str, ...] | None, as_json: bool, **options: Any) -> None:
    """List the documents a caller may see."""
    with _open(options) as kg:
        docs = kg.documents(groups=groups)
    if as_json:
        _echo_json(
            [
                {
                    "id": d.id,
                    "title": d.title,
                    "source": d.source,
                    "media_type": d.media_type,
                    "content_hash": d.content_hash,
                    "groups": list(d.groups),
                }
                for d in docs
            ]
        )
    else:
        for d in docs:
            click.echo(f"{d.id}  {d.media_type:<24} {','.join(d.groups):<16} {d.title}")


@cli.command()
@click.argument("name")
@click.option("--groups", callback=_split_groups, help="The caller's access groups (default: public).")
@click.option("--as", "user", help="Who is asking.")
@store_option
@handle_errors
def entity(name: str, groups: tuple[str, ...] | None, user: str | None, as_json: bool, **options: Any) -> None:
    """Show a visible entity: its type, aliases, relations with their provenance, and its neighbours.

    \b
    kgrag entity "Nordlys Bio"
    kgrag entity Halvorsen --groups public,board --json
    """
    with _open(options) as kg:
        report = kg.entity(name, groups, user)
    if as_json:
        _echo_json(report.to_dict())
        return
    e = report.entity
    click.echo(f"{e.name} ({e.type})  id {e.id}, mentioned in {e.frequency} chunks")
    click.echo(f"aliases: {', '.join(e.aliases) or '-'}")
    click.echo(f"relations ({len(report.relations)}):")
    for r in report.relations:
        t = r.triple
        click.echo(f"  {t.subject} -[{t.predicate}]-> {t.object}")
        click.echo(f"      {t.title} ({t.doc_id} {t.start}:{t.end}, v {t.content_hash[:12]}, {t.extractor})")
        click.echo(textwrap.indent(textwrap.fill(r.text, 100), "      > "))
    click.echo(
        f"neighbours ({len(report.neighbours)}): "
        + (", ".join(f"{n.name} ({n.type})" for n in report.neighbours) or "-")
    )


@cli.command()
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="turtle", show_default=True)
@click.option("--out", type=click.Path(), help="The file to write (a folder for csv); default: standard output.")
@click.option("--groups", callback=_split_groups, help="The caller's access groups (default: public).")
@click.option("--as", "user", help="Who is exporting (recorded in the audit log).")
@store_option
@handle_errors
def export(
    fmt: str, out: str | None, groups: tuple[str, ...] | None, user: str | None, as_json: bool, **options: Any
) -> None:
    """Export what the caller may see: entities with types and aliases, relations with their provenance.

    Turtle and JSON-LD are RDF with PROV-O (each relation also a statement derived from its document version, with
    its span); ingesting such a file restores the graph. GraphML is for Gephi or yEd; csv writes entities.csv and
    relations.csv into the folder --out.

    \b
    kgrag export --format turtle --out graph.ttl
    kgrag export --format graphml --groups public --out graph.graphml
    """
    with _open(options) as kg:
        exported = kg.export(fmt, groups, user)
    if out is None:
        if len(exported.files) > 1:
            raise click.UsageError(f"{fmt} writes {len(exported.files)} files: give a folder with --out")
        click.echo(next(iter(exported.files.values())), nl=False)
        return
    target = Path(out)
    written = [target / name for name in exported.files] if len(exported.files) > 1 else [target]
    try:
        written[0].parent.mkdir(parents=True, exist_ok=True)
        for path, text in zip(written, exported.files.values(), strict=True):
            path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise click.ClickException(f"cannot write {e.filename or out}: {e.strerror or e}") from e
    summary = {
        "format": exported.format,
        "files": [str(p) for p in written],
        "documents": exported.documents,
        "entities": exported.entities,
        "relations": exported.relations,
    }
    if as_json:
        _echo_json(summary)
    else:
        click.echo(
            f"exported {exported.documents} documents, {exported.entities} entities, {exported.relations} relations"
            f" to {', '.join(summary['files'])}"
        )


@cli.command()
@click.argument("doc")
@click.option("--as", "user", help="Who is deleting (recorded in the audit log).")
@click.option(
    "--scrub-audit/--keep-audit",
    default=None,
    help="Also replace the document's id in earlier audit events by a keyed token (default: KGRAG_AUDIT_SCRUB).",
)
@store_option
@handle_errors
def delete(doc: str, user: str | None, scrub_audit: bool | None, as_json: bool, **options: Any) -> None:
    """Erase a document (by id, or by the path of the file it was ingested from) and everything derived from it.

    \b
    kgrag delete 3f2a9c... --as dpo
    kgrag delete data/restricted/board-memo-aurora.md --scrub-audit
    """
    with _open(options) as kg:
        doc_id = kg.document_id(doc)
        deleted = kg.delete(doc_id, user=user, scrub_audit=scrub_audit)
    if as_json:
        _echo_json({"id": doc_id, "deleted": deleted})
    elif deleted:
        click.echo(f"deleted {doc_id}")
    else:
        raise click.ClickException(f"no document {doc_id!r}")


@cli.group()
def acl() -> None:
    """Manage documents' access groups."""


@acl.command("set")
@click.argument("doc_id")
@click.argument("groups", callback=_split_groups)
@click.option("--as", "user", help="Who is changing the groups (recorded in the audit log).")
@store_option
@handle_errors
def acl_set(doc_id: str, groups: tuple[str, ...], user: str | None, as_json: bool, **options: Any) -> None:
    """Replace a document's access groups; effective for the next query.

    \b
    kgrag acl set 3f2a9c... oncology,staff
    """
    with _open(options) as kg:
        kg.set_groups(doc_id, groups, user=user)
    if as_json:
        _echo_json({"id": doc_id, "groups": list(groups)})
    else:
        click.echo(f"{doc_id}: {','.join(groups)}")


def _parse_since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or time, e.g. 2025-03-01T09:00") from None


@cli.command()
@click.option("--user", help="Only this user's events.")
@click.option("--action", type=click.Choice(ACTIONS), help="Only this kind of event.")
@click.option("--since", callback=_parse_since, help="Only events at or after this ISO time (UTC if no zone).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the latest N matching events.")
@click.option("--question", help="Only queries of this question (found by its keyed hash where only that is kept).")
@store_option
@handle_errors
def audit(
    user: str | None,
    action: str | None,
    since: datetime | None,
    limit: int | None,
    question: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Show the audit log: who queried what and was shown which documents, who deleted or re-grouped one.

    \b
    kgrag audit --user alice --since 2025-03-01 --limit 20
    kgrag audit --action delete --json
    kgrag audit --question "Who acquired Nordlys Bio?"
    """
    with _open(options) as kg:
        events = kg.audit_events(since=since, user=user, action=action, limit=limit, question=question)
    if as_json:
        _echo_json([e.to_dict() for e in events])
        return
    for e in events:
        groups = "(all)" if e.groups is None else ",".join(e.groups)
        if e.action == "principal":
            detail = f"{e.change} {e.principal}: roles {','.join(e.roles or ())}, groups {','.join(e.acl or ())}"
        elif e.action == "request":
            detail = f"{e.request} -> {e.status}"
        elif e.action == "query":
            unverified = f", {e.citation_problems} unverified citation(s)" if e.citation_problems else ""
            asked = e.question or ("(question hashed)" if e.question_hash else "(no question kept)")
            detail = f"{e.status}, {len(e.doc_ids)} document(s){unverified}: {textwrap.shorten(asked, 60)}"
        else:
            detail = " ".join(e.doc_ids) + ("" if e.existed else " (no such document)")
            if e.scrubbed is not None:
                detail += f" (scrubbed from {e.scrubbed} earlier event(s))"
            if e.action == "acl_set":
                detail += f" -> {','.join(e.acl or ())}"
        click.echo(f"{e.time[:19]}  {e.action:<8} {e.user or '-':<12} {groups:<16} {detail}")


@cli.command()
@click.option("--from", "source", required=True, help="The store to copy from (path or Neo4j URI).")
@click.option("--to", "target", required=True, help="The store to copy into (path or Neo4j URI).")
@click.option("--key", envvar="KGRAG_KEY", help=KEY_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@handle_errors
def migrate(source: str, target: str, key: str | None, as_json: bool) -> None:
    """Copy every document, chunk, embedding, entity, mention and relation between stores.

    \b
    kgrag migrate --from .kgrag/graph.db --to neo4j://localhost:7687
    kgrag migrate --from neo4j://localhost:7687 --to backup.db
    """
    with KnowledgeGraph.open(source, key=key, create=False) as kg:
        report = kg.migrate_to(target, progress=sys.stderr.isatty() and not as_json)
    if as_json:
        _echo_json(
            {
                "documents": report.documents,
                "complete": report.complete,
                "source": asdict(report.source),
                "target": asdict(report.target),
            }
        )
    else:
        click.echo(f"copied {report.documents} documents from {source} to {target}")
        click.echo(f"source: {_counts(report.source)}")
        click.echo(f"target: {_counts(report.target)}")
        if not report.complete:
            click.echo("the target holds more than the source: it was not empty before", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port.")
@click.option(
    "--max-body", "max_body", default="20MB", show_default=True, help="Largest request body (e.g. 512KB, 20MB)."
)
@click.option(
    "--rate", default=600, show_default=True, type=click.IntRange(min=1), help="Requests per minute per principal."
)
@click.option("--upload-dir", type=click.Path(file_okay=False), help="Where uploaded files are kept.")
@click.option(
    "--ingest-root",
    type=click.Path(exists=True, file_okay=False),
    help="A server folder whose files callers may ingest by path (POST /ingest/path); off unless given.",
)
@click.option("--store", envvar="KGRAG_STORE", help="The store, as for every command. Env: KGRAG_STORE.")
@model_options
@handle_errors
def serve(
    host: str,
    port: int,
    max_body: str,
    rate: int,
    upload_dir: str | None,
    ingest_root: str | None,
    **options: Any,
) -> None:
    """Serve the API over HTTP until stopped (needs the serve extra); OpenAPI docs at /docs.

    Callers authenticate with 'Authorization: Bearer KEY' (keys from kgrag principals add); GET /health needs none.

    \b
    kgrag serve --store .kgrag/demo.db --domain data/domain/pharma.json --port 8000
    curl -H "Authorization: Bearer $KEY" -d '{"question": "Who acquired Nordlys Bio?"}' localhost:8000/query
    """
    try:
        import uvicorn

        from kgrag.service import ServiceConfig, create_app
    except ImportError as e:
        raise click.ClickException(f"kgrag serve needs the serve extra: pip install 'kgrag[serve]' ({e})") from e
    config = ServiceConfig(_bytes(max_body, "--max-body"), rate, upload_dir, ingest_root)
    kg = _open(options)
    try:
        uvicorn.run(create_app(kg, config), host=host, port=port, log_level="info")
    finally:
        kg.close()


@cli.group()
def domain() -> None:
    """Domain packs: a field's entity types, kind nouns, identifier patterns and predicate synonyms."""


@domain.command("suggest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the pack here (default: stdout).")
@click.option("--name", help="The pack's name (default: the first folder's name).")
@click.option("--min-count", type=click.IntRange(min=1), default=2, show_default=True, help="Evidence needed.")
@click.option("--no-synonyms", is_flag=True, help="Skip predicate synonyms (they load the encoder).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@model_options
@handle_errors
def domain_suggest(
    paths: tuple[Path, ...],
    out: Path | None,
    name: str | None,
    min_count: int,
    no_synonyms: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Propose a domain pack from a corpus, for a person to edit: names typed by vote across all their mentions,
    nouns that introduce a kind of entity, identifier shapes with the noun that names them, synonymous verbs.

    \b
    kgrag domain suggest data/lawfirm/corpus --out lawfirm.json
    kgrag ingest data/lawfirm/corpus --domain lawfirm.json
    """
    settings = Settings.from_env(
        spacy_model=options.get("spacy_model"),
        embedding_model=options.get("embedding_model"),
        embedding_backend=options.get("embedding_backend"),
    )
    suggestion = suggest_domain(list(paths), name, settings, min_count=min_count, synonyms=not no_synonyms)
    pack = suggestion.pack
    for failure in suggestion.failed:
        click.echo(f"skipped {failure}", err=True)
    text = json.dumps(pack, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as e:
        raise click.ClickException(f"cannot write {out}: {e.strerror or e}") from e
    summary = {
        "out": str(out),
        "documents": suggestion.files,
        "entity_patterns": len(pack["entity_patterns"]),
        "identifier_shapes": len(pack["_evidence"]["identifiers"]),
        "type_nouns": sum(len(n) for n in pack["type_nouns"].values()),
        "predicates": len(pack["predicates"]),
    }
    if as_json:
        _echo_json(summary)
    else:
        click.echo(
            f"wrote {out}: {summary['entity_patterns']} entity patterns ({summary['identifier_shapes']} identifier "
            f"shapes), {summary['type_nouns']} kind nouns, {summary['predicates']} predicate synonyms, "
            f"from {summary['documents']} documents; edit it, then ingest with --domain {out}"
        )


@cli.group()
def principals() -> None:
    """Manage who may call: principals with groups, roles and an API key.

    The first principal must be an admin; from then on every command needs a key (--key or KGRAG_KEY).
    Roles: reader (query, documents, show), curator (ingest, acl set, delete), auditor (audit), admin
    (principals, migrate, and what curators may do to any document).
    """


def _split_any_groups(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    try:
        return clean_groups((value or "").split(","), required=False)
    except InvalidArgument as e:
        raise click.BadParameter(str(e)) from None


def _split_roles(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    return tuple(r for r in (value or "").split(",") if r.strip())


def _principal_data(p: Principal) -> dict[str, Any]:
    return {"name": p.name, "groups": list(p.groups), "roles": list(p.roles), "key_id": p.key_id, "created": p.created}


def _echo_principal(p: Principal, as_json: bool, key: str | None = None) -> None:
    if as_json:
        _echo_json(_principal_data(p) | ({"key": key} if key else {}))
        return
    click.echo(f"{p.name:<16} roles {','.join(p.roles):<28} groups {','.join(p.groups) or '-'}")
    if key:
        click.echo(f"key (shown once, store it now): {key}")


@principals.command("add")
@click.argument("name")
@click.option("--groups", callback=_split_any_groups, help="The groups it may read, comma-separated.")
@click.option("--roles", callback=_split_roles, required=True, help="reader, curator, auditor, admin; comma-separated.")
@store_option
@handle_errors
def principals_add(name: str, groups: tuple[str, ...], roles: tuple[str, ...], as_json: bool, **options: Any) -> None:
    """Register a principal and print its new API key (only this once).

    \b
    kgrag principals add root --roles admin
    kgrag principals add alice --groups public,oncology --roles reader --key $ADMIN_KEY
    """
    with _open(options, create=True) as kg:
        principal, key = kg.add_principal(name, groups, roles)
    _echo_principal(principal, as_json, key)


@principals.command("list")
@store_option
@handle_errors
def principals_list(as_json: bool, **options: Any) -> None:
    """List principals with their roles and groups (never their keys)."""
    with _open(options) as kg:
        found = kg.principals()
    if as_json:
        _echo_json([_principal_data(p) for p in found])
    else:
        for p in found:
            _echo_principal(p, False)


@principals.command("grant")
@click.argument("name")
@click.option("--groups", callback=_split_any_groups, help="Groups to add (or remove, with --revoke).")
@click.option("--roles", callback=_split_roles, help="Roles to add (or remove, with --revoke).")
@click.option("--revoke", is_flag=True, help="Take the groups and roles away instead.")
@store_option
@handle_errors
def principals_grant(
    name: str, groups: tuple[str, ...], roles: tuple[str, ...], revoke: bool, as_json: bool, **options: Any
) -> None:
    """Give a principal more groups or roles, or take them away; effective at its next call.

    \b
    kgrag principals grant alice --groups board --roles curator
    kgrag principals grant alice --groups board --revoke
    """
    with _open(options) as kg:
        principal = kg.grant(name, groups=groups, roles=roles, revoke=revoke)
    _echo_principal(principal, as_json)


@principals.command("rotate")
@click.argument("name")
@store_option
@handle_errors
def principals_rotate(name: str, as_json: bool, **options: Any) -> None:
    """Give a principal a new API key; the old one stops working at once."""
    with _open(options) as kg:
        key = kg.rotate_key(name)
    if as_json:
        _echo_json({"name": name, "key": key})
    else:
        click.echo(f"key (shown once, store it now): {key}")


@principals.command("remove")
@click.argument("name")
@store_option
@handle_errors
def principals_remove(name: str, as_json: bool, **options: Any) -> None:
    """Forget a principal and its key (its documents' groups are untouched)."""
    with _open(options) as kg:
        removed = kg.remove_principal(name)
    if as_json:
        _echo_json({"name": name, "removed": removed})
    elif removed:
        click.echo(f"removed {name}")
    else:
        raise click.ClickException(f"no principal {name!r}")


def _counts(stats: StoreStats) -> str:
    return ", ".join(f"{name} {value}" for name, value in asdict(stats).items())


def format_result(result: RetrievalResult) -> str:
    """Render a result for a terminal: outcome, cited passages, the paths that reach them, the triples."""
    lines: list[str] = []
    if result.status == "insufficient_evidence":
        lines.append(f"Insufficient evidence (confidence {result.confidence:.2f}): nothing relevant was found.")
        return "\n".join(lines)
    lines.append(f"Evidence (confidence {result.confidence:.2f}, {result.rounds} retrieval round(s))")
    if result.linked_entities:
        linked = ", ".join(f"{e.name} [{e.type}]" for e in result.linked_entities)
        lines.append(f"Question entities: {linked}")
    lines.extend(f"WARNING: unverified citation: {c.problem}" for c in result.citation_problems)
    for rank, p in enumerate(result.passages, start=1):
        lines.append("")
        lines.append(f"[{rank}] {p.title}  score {p.score:.3f}{'' if p.verified else UNVERIFIED}")
        lines.append(f"    {p.source}  chars {p.start}-{p.end}  doc {p.doc_id}  sha256 {p.content_hash[:12]}")
        snippet = " ".join(p.text.split())
        lines.append(textwrap.indent(textwrap.fill(textwrap.shorten(snippet, 400), 100), "    "))
    if result.paths:
        lines.append("")
        lines.append("Paths:")
        lines.extend(f"  {path.describe()}" for path in result.paths)
    if result.triples:
        lines.append("")
        lines.append("Triples:")
        for t in result.triples:
            lines.append(
                f"  ({t.subject}) -[{t.predicate}]-> ({t.object})   {t.title}, chars {t.start}-{t.end}, "
                f"{t.extractor} {t.extractor_version}{'' if t.verified else UNVERIFIED}"
            )
    return "\n".join(lines)


def format_answer(found: Answer) -> str:
    """Render an answer for a terminal: the answer, how sure, then each claim with its citations."""
    if found.status == "insufficient_evidence":
        lines = [f"Insufficient evidence (confidence {found.confidence:.2f}): {found.missing or 'nothing found'}."]
        lines.extend(f"  found: {title}" for title in found.found)
    else:
        unverified = "" if found.verified else UNVERIFIED
        lines = [f"{found.answer}{unverified}", f"(confidence {found.confidence:.2f}, {found.rounds} round(s))"]
        if found.missing:
            lines.append(f"Unsupported hop: {found.missing}")
    for claim in found.claims:
        lines.append("")
        flag = "" if claim.verified else "  [NO VALID CITATION]"
        lines.append(textwrap.fill(" ".join(claim.text.split()), 100) + flag)
        for c in claim.citations:
            mark = "" if c.verified else UNVERIFIED
            lines.append(f"    {c.title}  chars {c.start}-{c.end}  doc {c.doc_id}  sha256 {c.content_hash[:12]}{mark}")
    return "\n".join(lines)


def main() -> None:
    cli()
