"""An import-linter contract type: what a package may import from outside the standard
library and the project's own packages (pyproject.toml, ``[tool.importlinter]``)."""

from __future__ import annotations

import sys

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

__all__ = ["OutsideImportsContract"]


class OutsideImportsContract(Contract):
    """``source_modules`` (and everything in them) import nothing from outside the
    standard library and the root packages but ``allowed_modules`` (top-level names).

    Needs ``include_external_packages = true``: the graph then holds every outside
    module a root package imports, the standard library's included."""

    type_name = "outside_imports"

    source_modules = fields.ListField(subfield=fields.StringField())
    allowed_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        roots = {str(name) for name in self.session_options.get("root_packages", [])}
        allowed = {str(name) for name in self.allowed_modules}  # type: ignore[attr-defined]
        found: list[tuple[str, str]] = []
        for source in self.source_modules:  # type: ignore[attr-defined]
            for module in sorted({str(source), *graph.find_descendants(str(source))}):
                for imported in sorted(graph.find_modules_directly_imported_by(module)):
                    top = imported.split(".")[0]
                    if top in roots or top in allowed or top in sys.stdlib_module_names:
                        continue
                    if top == "__future__":
                        continue
                    found.append((module, imported))
        return ContractCheck(kept=not found, metadata={"found": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for module, imported in check.metadata["found"]:
            output.print_error(f"{module} imports {imported}, which is not allowed.")
            output.new_line()
