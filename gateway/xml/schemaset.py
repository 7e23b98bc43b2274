"""The compiled QĐ 130 schema set of one version: table specs and their XSDs.

    schemas = load_schema_set("4750")
    table = schemas.table_for_root(root.tag)      # TableSpec of XML0..XML15, or None
    schemas.xsd(table.name).validate(tree)        # lxml XMLSchema, compiled once

The XSDs are the generated files in schemas/qd130/v<version>/ (gateway.xml.schemagen), loaded
with a parser that resolves no entity, loads no DTD and touches no network.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from lxml import etree

from gateway.xml.tables import ENVELOPE, SchemaDataError, TableSpec, load_tables, schemas_root

DEFAULT_VERSION = "4750"


def _xsd_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False
    )


class SchemaSet:
    """The tables and XSDs of one schema version; each XSD compiles on first use, once (locked).

    An lxml XMLSchema keeps the last validation's `error_log` on itself: threads validating at
    the same time must not read each other's errors (use `assertValid`, whose exception carries
    its own log, or one SchemaSet per worker).
    """

    def __init__(self, version: str, tables: dict[str, TableSpec], xsd_dir: Path) -> None:
        self.version = version
        self.tables = tables
        self.xsd_dir = xsd_dir
        self._by_root = {table.root_element: table for table in tables.values()}
        self._compiled: dict[str, etree.XMLSchema] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SchemaSet(version={self.version!r}, tables={len(self.tables)}, dir={self.xsd_dir})"

    def table_for_root(self, root_tag: str) -> TableSpec | None:
        """The table whose documents have this root element (no namespace), or None."""
        return self._by_root.get(root_tag)

    def xsd_path(self, name: str) -> Path:
        """The XSD file of a table ("XML1") or of the envelope ("GIAMDINHHS").

        Raises SchemaDataError `schema.unknown_table` for a name this version does not have.
        """
        if name != ENVELOPE and name not in self.tables:
            raise SchemaDataError(
                "schema.unknown_table", f"version {self.version} has no table {name!r}"
            )
        return self.xsd_dir / f"{name}.xsd"

    def xsd(self, name: str) -> etree.XMLSchema:
        """The compiled XSD of a table or of the envelope (compiled on first use, then cached).

        Raises SchemaDataError: `schema.unknown_table`, `schema.missing` (no file; regenerate
        with gateway.xml.schemagen), `schema.layout` (the file does not compile).
        """
        schema = self._compiled.get(name)
        if schema is not None:
            return schema
        with self._lock:
            schema = self._compiled.get(name)
            if schema is None:
                schema = self._compile(self.xsd_path(name))
                self._compiled[name] = schema
        return schema

    @staticmethod
    def _compile(path: Path) -> etree.XMLSchema:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SchemaDataError(
                "schema.missing", f"{path}: {exc} (run python -m gateway.xml.schemagen)"
            ) from None
        try:
            doc = etree.fromstring(data, _xsd_parser(), base_url=str(path))
            return etree.XMLSchema(doc)
        except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
            raise SchemaDataError("schema.layout", f"{path}: {exc}") from None


@functools.lru_cache(maxsize=8)
def _load(version: str, root: Path) -> SchemaSet:
    qd130_dir = root / "qd130"
    return SchemaSet(version, load_tables(version, qd130_dir), qd130_dir / f"v{version}")


def load_schema_set(version: str = DEFAULT_VERSION) -> SchemaSet:
    """The schema set of a version ("4750", "130"), cached per version and schemas folder.

    The schemas folder is $GATEWAY_SCHEMAS_DIR or the repository's schemas/. Raises
    SchemaDataError: `schema.unknown_version`, `schema.missing`, `schema.layout`, `schema.sheet`.
    """
    return _load(version, schemas_root())
