"""Every Cypher statement kgrag runs is a ``.cypher`` file of the ``cypher`` package, loaded here by name.

Values always travel as ``$parameters``. Labels and relationship types cannot be parameters before Neo4j 5.26,
so the two templates that need one (``entities_label``, ``relations_create``) hold a placeholder that
``with_identifier`` replaces by an allow-listed, backticked name, never by text from a document or a question.
The vector index's dimension sits in an ``OPTIONS`` map, where early 5.x releases take no parameter; it is put
in by ``with_integer`` after a range check.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from kg.errors import CypherNotFound, InvalidArgument

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
PACKAGE = "cypher"


@cache
def load(name: str) -> str:
    """The statement in ``cypher/NAME.cypher`` (``NAME`` may contain a folder, e.g. ``schema/constraints``)."""
    path = resources.files(PACKAGE).joinpath(f"{name}.cypher")
    if not path.is_file():
        raise CypherNotFound(f"no Cypher file {name}.cypher")
    return path.read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """A file of several statements, each ending with ``;``, split into statements without comment lines."""
    lines = [line for line in load(name).splitlines() if not line.lstrip().startswith("//")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE) if s.strip()]


def with_identifier(name: str, placeholder: str, identifier: str) -> str:
    """``load(name)`` with ``placeholder`` replaced by the backticked ``identifier``, which must be allow-listed."""
    if not IDENTIFIER.fullmatch(identifier):
        raise InvalidArgument(f"unsafe Cypher identifier {identifier!r}")
    text = load(name)
    if placeholder not in text:
        raise CypherNotFound(f"{name}.cypher has no placeholder {placeholder}")
    return text.replace(placeholder, f"`{identifier}`")


def with_integer(name: str, placeholder: str, value: int, low: int, high: int) -> str:
    """``load(name)`` with ``placeholder`` replaced by ``value``, which must be an integer in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(f"{value!r} is not an integer between {low} and {high}")
    text = load(name)
    if placeholder not in text:
        raise CypherNotFound(f"{name}.cypher has no placeholder {placeholder}")
    return text.replace(placeholder, str(value))
