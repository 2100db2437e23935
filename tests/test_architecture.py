"""The shape the code promises, checked module by module.

Each rule reads the source (it imports nothing of the project) and names every offence as
``path:line: what``. A rule is a function of a tree, so the suite also builds a small house of its
own, plants one offence of each kind in it and sees the rule catch it (``test_a_planted_*``): a
rule that stopped looking would fail there, not pass quietly here.
"""

from __future__ import annotations

import ast
import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent

KERNEL = "kernel"
COMPOSITION_ROOT = "toshav"
DOMAINS = ("resident_card", "messages", "jobs", "figures", "benefits", "parking", "cashback")
APPLICATION = (KERNEL, COMPOSITION_ROOT, *DOMAINS)
# The project's other Python: held to the rule against import circles only.
SUPPORT = ("migrations", "tests", "bench")
PACKAGES = APPLICATION + SUPPORT

# What each application package may import besides itself: every arrow points down, and parking
# and cashback never see each other.
ALLOWED = {
    "kernel": frozenset[str](),
    "resident_card": frozenset({"kernel"}),
    "messages": frozenset({"kernel", "resident_card"}),
    "jobs": frozenset({"kernel", "resident_card"}),
    "figures": frozenset({"kernel", "resident_card"}),
    "benefits": frozenset({"kernel", "resident_card", "figures"}),
    "parking": frozenset({"kernel", "resident_card", "benefits", "figures"}),
    "cashback": frozenset({"kernel", "resident_card", "benefits", "figures"}),
    "toshav": frozenset({"kernel", *DOMAINS}),
}

# The unit of work: the only modules that end a transaction (the request's session, a command's).
UNIT_OF_WORK = frozenset({"kernel/database.py", "kernel/console.py"})
# ``with session.begin():`` (a sessionmaker's, an engine's) commits when its block ends.
COMMITTING_METHODS = frozenset({"commit", "begin"})

MAX_LINES = 600

ROOMS = ("models", "schemas", "repository", "service", "endpoints", "exceptions")
# Folders inside a group of sub-domains that are not sub-domains.
NOT_SUB_DOMAINS = frozenset({"web"})
# Rooms a (sub-)domain goes without, and why. An exemption for a room that exists is stale.
ROOM_EXEMPTIONS: dict[str, dict[str, str]] = {
    "benefits/uptake": {
        "exceptions": "it refuses nothing of its own: a bad window is figures' invalid_window",
    },
    "figures/rollups": {
        "schemas": "it answers no one: the figures that read a rollup have their own",
        "endpoints": "no route: the figures that read a rollup have theirs",
        "exceptions": "it refuses nothing: a mark that cannot move stays, and the figure is exact",
    },
    "resident_card/audit": {
        "exceptions": "it records and lists what others did; it refuses nothing"
    },
    "resident_card/requests": {
        "models": "it keeps no table: each request lives with the domain that took it",
        "repository": "it queries nothing itself: each domain's source reads its own tables",
        "exceptions": "it refuses no one: a person with no requests gets an empty list",
    },
}

# Loading modules by name, which hides an arrow from every rule above.
DYNAMIC_IMPORT_MODULES = frozenset({"importlib", "pkgutil", "runpy", "zipimport"})
# The part of importlib that reads a distribution's metadata and imports nothing. (A domain's own
# files are found beside its modules, ``Path(__file__).parent``: ``importlib.resources`` imports the
# package it is given by name.)
IMPORTLIB_READERS = frozenset({"importlib.metadata"})
DYNAMIC_IMPORT_CALLS = frozenset(
    {"__import__", "import_module", "import_string", "walk_packages", "iter_modules", "run_module"}
)
# Project modules a string may name, and why: here a worker process, not our code, imports them.
NAMED_MODULES_ALLOWED: dict[tuple[str, str], str] = {
    ("toshav/serving.py", "toshav.main:app"): "uvicorn's workers import the app by name",
}
MODULE_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[A-Za-z_][\w.]*)?")


class MissingPackage(AssertionError):
    """A package a rule names is not there: the rule would pass without looking."""


@dataclass(frozen=True)
class Import:
    """One import statement: the modules it may load (``from a.b import c`` may load ``a.b`` and
    ``a.b.c``), resolved when relative, wherever it stands (a function, ``if TYPE_CHECKING:``)."""

    line: int
    names: tuple[str, ...]
    node: ast.Import | ast.ImportFrom

    @property
    def text(self) -> str:
        return ast.unparse(self.node)

    @property
    def from_importlib(self) -> bool:
        return isinstance(self.node, ast.ImportFrom) and self.node.module == "importlib"


@dataclass(frozen=True)
class Call:
    """A call the rules look at: a method that ends a transaction, or the import machinery."""

    line: int
    called: str  # the function's or the method's name
    is_method: bool
    text: str


# The calls worth keeping from a module's tree.
WATCHED_CALLS = COMMITTING_METHODS | DYNAMIC_IMPORT_CALLS


@dataclass(frozen=True)
class Source:
    """What the rules need of one module, read in one walk of its tree (the tree is not kept)."""

    name: str  # the dotted module name
    path: str  # relative to the root, with forward slashes
    lines: int
    imports: tuple[Import, ...]
    # String constants that could name a module ("parking.endpoints", "toshav.main:app").
    dotted_strings: tuple[tuple[int, str], ...]
    calls: tuple[Call, ...]
    # Where ``sys.modules`` is read.
    sys_modules: tuple[int, ...]

    @property
    def package(self) -> str:
        return self.name.split(".")[0]


def _read(root: Path, path: Path) -> Source:
    relative = PurePosixPath(path.relative_to(root).as_posix())
    parts = relative.with_suffix("").parts
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    text = path.read_text()
    imports, strings, calls, sys_modules = [], [], [], []
    for node in ast.walk(ast.parse(text, filename=str(relative))):
        if isinstance(node, ast.Import):
            names = tuple(alias.name for alias in node.names)
            imports.append(Import(node.lineno, names, node))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (parts[-1] == "__init__")]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            names = (base, *(f"{base}.{alias.name}" for alias in node.names))
            imports.append(Import(node.lineno, names, node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if MODULE_NAME.fullmatch(node.value):
                strings.append((node.lineno, node.value))
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in WATCHED_CALLS:
                calls.append(Call(node.lineno, function.id, False, ast.unparse(node)))
            elif isinstance(function, ast.Attribute) and function.attr in WATCHED_CALLS:
                calls.append(Call(node.lineno, function.attr, True, ast.unparse(node)))
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "modules"
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            sys_modules.append(node.lineno)
    return Source(
        name,
        str(relative),
        len(text.splitlines()),
        tuple(sorted(imports, key=lambda statement: statement.line)),
        tuple(strings),
        tuple(calls),
        tuple(sys_modules),
    )


class House:
    """The project's Python, read once."""

    def __init__(self, root: Path, packages: tuple[str, ...]) -> None:
        self.root = root
        self.modules: dict[str, Source] = {}
        for package in packages:
            if not (root / package / "__init__.py").is_file():
                raise MissingPackage(
                    f"{package}/ is missing (or has no __init__.py): the rules would pass without looking"
                )
        # The collector would walk every new tree node again and again, for nothing: none is cyclic.
        gc.disable()
        try:
            for package in packages:
                for path in sorted((root / package).rglob("*.py")):
                    source = _read(root, path)
                    self.modules[source.name] = source
        finally:
            gc.enable()

    def sources(self, *packages: str) -> Iterator[Source]:
        return (source for source in self.modules.values() if source.package in packages)


def _named_modules(house: House, source: Source) -> Iterator[tuple[int, str]]:
    """Strings that name a project module, ``"parking.endpoints"`` or ``"toshav.main:app"``: a bare
    package name (``"parking"``) is a word as often as a module, and counts only where it is handed
    to the import machinery (``_dynamic_imports``)."""
    for line, text in source.dotted_strings:
        named = house.modules.get(text.split(":")[0])
        if named is not None and named.package in APPLICATION and text != named.package:
            yield line, text


def _dynamic_imports(source: Source) -> Iterator[tuple[int, str]]:
    """Where a module loads another by name: the machinery imported, called, or ``sys.modules``."""
    for statement in source.imports:
        loaded = statement.names
        if statement.from_importlib:
            loaded = statement.names[1:]  # what it takes from importlib, not importlib itself
        for name in loaded:
            top = name.split(".")[0]
            readers = any(name == part or name.startswith(f"{part}.") for part in IMPORTLIB_READERS)
            if top in DYNAMIC_IMPORT_MODULES and not readers:
                yield statement.line, statement.text
                break
    for call in source.calls:
        if call.called in DYNAMIC_IMPORT_CALLS:
            yield call.line, call.text
    for line in source.sys_modules:
        yield line, "sys.modules"


# --- the rules: each takes the house and returns its offences, "path:line: what" ------------------


def kernel_reaches_up(house: House) -> list[str]:
    """The kernel imports no domain and not the root: not by a statement, not by a string."""
    above = set(PACKAGES) - {KERNEL}
    problems = []
    for source in house.sources(KERNEL):
        for statement in source.imports:
            if {name.split(".")[0] for name in statement.names} & above:
                problems.append(f"{source.path}:{statement.line}: {statement.text}")
        for line, text in _named_modules(house, source):
            if text.split(".")[0].split(":")[0] in above:
                problems.append(f"{source.path}:{line}: names the module {text!r}")
        for line, text in _dynamic_imports(source):
            problems.append(f"{source.path}:{line}: loads a module by name: {text}")
    return sorted(set(problems), key=_by_place)


def imports_pointing_up(house: House) -> list[str]:
    """Every import points down: kernel <- resident_card <- benefits <- parking | cashback <- toshav."""
    problems = []
    for source in house.sources(*APPLICATION):
        refused = set(PACKAGES) - {source.package} - ALLOWED[source.package]
        for statement in source.imports:
            wrong = sorted({name.split(".")[0] for name in statement.names} & refused)
            if wrong:
                problems.append(
                    f"{source.path}:{statement.line}: {statement.text}"
                    f" ({source.package} may not import {', '.join(wrong)})"
                )
    return sorted(problems, key=_by_place)


def domains_the_root_misses(house: House) -> list[str]:
    """The composition root imports every domain, statically, so the graph shows every arrow."""
    seen = {
        name.split(".")[0]
        for source in house.sources(COMPOSITION_ROOT)
        for statement in source.imports
        for name in statement.names
    }
    return [
        f"{COMPOSITION_ROOT}/: imports nothing of {domain}; the root mounts every domain statically"
        for domain in DOMAINS
        if domain not in seen
    ]


def _is_endpoint(source: Source) -> bool:
    path = PurePosixPath(source.path)
    folders = path.parts[:-1]
    return (
        path.stem == "endpoints"
        or "endpoints" in folders
        or ("web" in folders and (path.stem == "pages" or "pages" in folders))
    )


def endpoints_importing_repositories(house: House) -> list[str]:
    """Endpoints (and pages) are HTTP only: they call a service, never a repository."""
    return sorted(
        (
            f"{source.path}:{statement.line}: {statement.text}"
            for source in house.sources(*APPLICATION)
            if _is_endpoint(source)
            for statement in source.imports
            if any("repository" in name.split(".") for name in statement.names)
        ),
        key=_by_place,
    )


def commits_outside_the_unit_of_work(house: House) -> list[str]:
    """Only the unit of work ends a transaction; a service, an endpoint or a command never does,
    so a use case across domains is one transaction."""
    problems = [
        f"{path}: named as the unit of work, but missing: say where the unit of work went"
        for path in sorted(UNIT_OF_WORK)
        if not (house.root / path).is_file()
    ]
    for source in house.sources(*APPLICATION):
        if source.path in UNIT_OF_WORK:
            continue
        problems.extend(
            f"{source.path}:{call.line}: {call.text}"
            for call in source.calls
            if call.is_method and call.called in COMMITTING_METHODS
        )
    return sorted(problems, key=_by_place)


def modules_loaded_by_name(house: House) -> list[str]:
    """No module of the application loads another by name (importlib, __import__, pkgutil,
    sys.modules, a module's name in a string): every arrow is an import statement."""
    problems = []
    allowances_used = set()
    for source in house.sources(*APPLICATION):
        for line, text in _dynamic_imports(source):
            problems.append(f"{source.path}:{line}: loads a module by name: {text}")
        for line, text in _named_modules(house, source):
            if (source.path, text) in NAMED_MODULES_ALLOWED:
                allowances_used.add((source.path, text))
            else:
                problems.append(f"{source.path}:{line}: names the module {text!r}")
    problems.extend(
        f"{path}: names no module {text!r} any more: drop it from NAMED_MODULES_ALLOWED"
        for path, text in sorted(NAMED_MODULES_ALLOWED.keys() - allowances_used)
    )
    return sorted(set(problems), key=_by_place)


def files_over_the_limit(house: House) -> list[str]:
    """No application module over 600 lines: a room that big is a package of sub-domains."""
    return sorted(
        (
            f"{source.path}:{MAX_LINES + 1}: {source.lines} lines, over {MAX_LINES}; split it by sub-domain"
            for source in house.sources(*APPLICATION)
            if source.lines > MAX_LINES
        ),
        key=_by_place,
    )


def _has_room(folder: Path, room: str) -> bool:
    return (folder / f"{room}.py").is_file() or (folder / room / "__init__.py").is_file()


def _domain_folders(house: House) -> Iterator[Path]:
    """Each domain, or, for a group of sub-domains (a folder without models), each sub-domain."""
    for domain in DOMAINS:
        folder = house.root / domain
        if _has_room(folder, "models"):
            yield folder
            continue
        subs = [
            sub
            for sub in sorted(folder.iterdir())
            if (sub / "__init__.py").is_file() and sub.name not in NOT_SUB_DOMAINS
        ]
        # A folder with neither models nor sub-domains is checked as a domain, and lacks its rooms.
        yield from subs or [folder]


def rooms_missing(house: House) -> list[str]:
    """Every domain (every sub-domain of a group) has the same rooms, each a module or a package."""
    problems = []
    folders = list(_domain_folders(house))
    for folder in folders:
        where = folder.relative_to(house.root).as_posix()
        exempt = ROOM_EXEMPTIONS.get(where, {})
        lacking = [room for room in ROOMS if not _has_room(folder, room) and room not in exempt]
        if lacking:
            problems.append(f"{where}/: lacks {', '.join(lacking)} (a module or a package each)")
        problems.extend(
            f"{where}/: exempt from {room} in ROOM_EXEMPTIONS, but has it: drop the exemption"
            for room in exempt
            if _has_room(folder, room)
        )
    places = {folder.relative_to(house.root).as_posix() for folder in folders}
    problems.extend(
        f"{where}/: in ROOM_EXEMPTIONS, but no such domain"
        for where in ROOM_EXEMPTIONS
        if where not in places
    )
    return problems


def mutual_imports(house: House) -> list[str]:
    """Two modules that import each other are one module split in two."""
    graph = {
        name: {
            imported
            for statement in source.imports
            for imported in statement.names
            if imported in house.modules and imported != name
        }
        for name, source in house.modules.items()
    }
    return sorted(
        f"{house.modules[name].path}: {name} <-> {other}"
        for name, imported in graph.items()
        for other in imported
        if name < other and name in graph[other]
    )


def packages_in_no_layer(house: House) -> list[str]:
    """Every Python package at the top is one the rules name; another would escape them all."""
    problems = []
    for entry in sorted(house.root.iterdir()):
        if entry.name.startswith(".") or entry.name in PACKAGES:
            continue
        if entry.is_dir() and (entry / "__init__.py").is_file():
            problems.append(f"{entry.name}/: a package in no layer: add it to ALLOWED and PACKAGES")
        elif entry.suffix == ".py":
            problems.append(f"{entry.name}: a module outside every package")
    return problems


def legacy_orm(house: House) -> list[str]:
    """SQLAlchemy 2.0 style: ``select()``, never ``session.query``; ``mapped_column``, never ``Column``."""
    legacy = re.compile(r"session\.query\(|\bColumn\(")
    return [
        f"{source.path}:{number}: {line.strip()}"
        for source in house.sources(*APPLICATION)
        for number, line in enumerate((house.root / source.path).read_text().splitlines(), 1)
        if legacy.search(line)
    ]


def _by_place(problem: str) -> tuple[str, int]:
    path, _, rest = problem.partition(":")
    line = rest.split(":")[0]
    return path, int(line) if line.isdigit() else 0


Rule = Callable[[House], list[str]]
# Each rule, by the name its test carries, with what a failure means.
RULES: dict[str, tuple[Rule, str]] = {
    "kernel_imports_no_domain": (kernel_reaches_up, "the kernel reaches a domain or the root"),
    "imports_point_down": (imports_pointing_up, "an import points up or sideways"),
    "the_root_imports_every_domain": (
        domains_the_root_misses,
        "the composition root misses a domain",
    ),
    "endpoints_import_no_repository": (
        endpoints_importing_repositories,
        "an endpoint or page imports a repository; call a service instead",
    ),
    "only_the_unit_of_work_commits": (
        commits_outside_the_unit_of_work,
        f"a commit outside the unit of work ({', '.join(sorted(UNIT_OF_WORK))})",
    ),
    "no_module_loaded_by_name": (
        modules_loaded_by_name,
        "a module loaded by name; import it with a statement",
    ),
    "no_file_over_the_limit": (files_over_the_limit, f"a module over {MAX_LINES} lines"),
    "every_domain_has_the_same_rooms": (
        rooms_missing,
        f"a domain without its rooms ({', '.join(ROOMS)})",
    ),
    "no_two_modules_import_each_other": (
        mutual_imports,
        "two modules import each other; move the shared piece down",
    ),
    "every_package_has_a_layer": (packages_in_no_layer, "a package the rules do not name"),
    "no_session_query_or_legacy_column": (legacy_orm, "SQLAlchemy 1.x style"),
}


@lru_cache(maxsize=1)
def _parsed(root: Path) -> House:
    return House(root, PACKAGES)


@pytest.mark.parametrize("rule", RULES)
def test_the_rule_holds(rule: str) -> None:
    check, promise = RULES[rule]
    # Parsed inside the test, so a missing package fails it rather than erroring a fixture.
    problems = check(_parsed(ROOT))
    if problems:
        pytest.fail(f"{promise}:\n" + "\n".join(problems), pytrace=False)


# --- the rules, on a house of the test's own: clean, then with one offence planted ----------------

CLEAN_HOUSE = {
    **{f"{package}/__init__.py": '"""A package."""\n' for package in PACKAGES},
    "kernel/database.py": "def end(session):\n    session.commit()\n",
    "kernel/console.py": "from kernel.database import end\n\n\ndef done(session):\n    session.commit()\n",
    "kernel/clock.py": "import datetime\n",
    "toshav/app.py": (
        "from benefits import manifest as benefits\n"
        "from cashback import manifest as cashback\n"
        "from figures import manifest as figures\n"
        "from jobs import manifest as jobs\n"
        "from messages import manifest as messages\n"
        "from parking import manifest as parking\n"
        "from resident_card import manifest as resident_card\n"
    ),
    "toshav/serving.py": "import uvicorn\n\nuvicorn.run('toshav.main:app')\n",
    "toshav/main.py": "from toshav.app import create_app\n",
    "tests/test_parking.py": "from parking import service\n",
    **{f"{domain}/manifest.py": f"from {domain} import endpoints\n" for domain in DOMAINS},
    # resident_card and benefits: groups of sub-domains; audit without exceptions, requests
    # without a table, as exempted.
    **{f"resident_card/{sub}/__init__.py": "" for sub in ("cards", "audit", "requests")},
    **{f"resident_card/cards/{room}.py": "from kernel.database import end\n" for room in ROOMS},
    **{f"resident_card/audit/{room}.py": "" for room in ROOMS if room != "exceptions"},
    **{f"resident_card/requests/{room}.py": "" for room in ("schemas", "service", "endpoints")},
    "resident_card/endpoints.py": "from resident_card.cards import endpoints\n",
    "benefits/ledger/__init__.py": "",
    **{f"benefits/ledger/{room}.py": "from resident_card.cards import service\n" for room in ROOMS},
    "benefits/endpoints.py": "from benefits.ledger import endpoints\n",
    # benefits/uptake: no refusal of its own, as exempted.
    "benefits/uptake/__init__.py": "",
    **{
        f"benefits/uptake/{room}.py": ""
        for room in ("models", "schemas", "repository", "service", "endpoints")
    },
    # jobs and messages: rooms as modules, on the card.
    **{
        f"{domain}/{room}.py": "from resident_card.cards import service\n"
        for domain in ("jobs", "messages")
        for room in ROOMS
    },
    # figures: what its sub-domains share, and the open data.
    "figures/exceptions.py": "",
    "figures/open_data/__init__.py": "",
    **{f"figures/open_data/{room}.py": "" for room in ROOMS},
    "figures/rollups/__init__.py": "",
    **{f"figures/rollups/{room}.py": "" for room in ("models", "repository", "service")},
    # parking: rooms as modules, and pages of its own.
    **{f"parking/{room}.py": "from benefits.ledger import service\n" for room in ROOMS},
    "parking/web/__init__.py": "",
    "parking/web/pages.py": "from .. import service\n",
    # cashback: rooms as packages of sub-domains.
    **{f"cashback/{room}.py": "" for room in ("models", "schemas", "exceptions")},
    **{
        f"cashback/{room}/__init__.py": '"""A room."""\n'
        for room in ("repository", "service", "endpoints")
    },
    "cashback/repository/purchases.py": "from cashback.models import Purchase\n",
    "cashback/service/purchases.py": "from cashback.repository import purchases\n",
    "cashback/endpoints/purchases.py": "from cashback.service import purchases\n",
    "cashback/cli.py": "from kernel.console import done\n",
}

# rule, files written over the clean house (None removes one), the offences the rule must name.
PLANTS: list[tuple[str, dict[str, str | None], list[str]]] = [
    (
        "kernel_imports_no_domain",
        {"kernel/clock.py": "import parking.service\n"},
        ["kernel/clock.py:1: import parking.service"],
    ),
    (
        "kernel_imports_no_domain",
        {"kernel/settings.py": "def app():\n    from toshav import app\n    return app\n"},
        ["kernel/settings.py:2: from toshav import app"],
    ),
    (
        "kernel_imports_no_domain",
        {"kernel/registry.py": 'ROUTERS = ("cashback.endpoints.purchases",)\n'},
        ["kernel/registry.py:1: names the module 'cashback.endpoints.purchases'"],
    ),
    (
        "kernel_imports_no_domain",
        {"kernel/registry.py": "def load():\n    return __import__('parking')\n"},
        ["kernel/registry.py:2: loads a module by name: __import__('parking')"],
    ),
    (
        "imports_point_down",
        {"benefits/ledger/service.py": "from parking import service\n"},
        [
            "benefits/ledger/service.py:1: from parking import service (benefits may not import parking)"
        ],
    ),
    (
        "imports_point_down",
        {
            "parking/service.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from cashback.models import C\n"
        },
        ["parking/service.py:4: from cashback.models import C (parking may not import cashback)"],
    ),
    (
        "imports_point_down",
        {"resident_card/cards/service.py": "import toshav.app\n"},
        [
            "resident_card/cards/service.py:1: import toshav.app (resident_card may not import toshav)"
        ],
    ),
    (
        "the_root_imports_every_domain",
        {
            "toshav/app.py": (
                "from benefits import manifest\nfrom jobs import manifest\n"
                "from messages import manifest\nfrom parking import manifest\n"
            )
        },
        [
            "toshav/: imports nothing of resident_card; the root mounts every domain statically",
            "toshav/: imports nothing of figures; the root mounts every domain statically",
            "toshav/: imports nothing of cashback; the root mounts every domain statically",
        ],
    ),
    (
        "endpoints_import_no_repository",
        {"parking/endpoints.py": "from parking.repository import find_zone\n"},
        ["parking/endpoints.py:1: from parking.repository import find_zone"],
    ),
    (
        "endpoints_import_no_repository",
        {"cashback/endpoints/purchases.py": "from cashback import repository\n"},
        ["cashback/endpoints/purchases.py:1: from cashback import repository"],
    ),
    (
        "endpoints_import_no_repository",
        {"parking/web/pages.py": "from .. import repository\n"},
        ["parking/web/pages.py:1: from .. import repository"],
    ),
    (
        "only_the_unit_of_work_commits",
        {"parking/endpoints.py": "def write(session):\n    session.commit()\n"},
        ["parking/endpoints.py:2: session.commit()"],
    ),
    (
        "only_the_unit_of_work_commits",
        {
            "cashback/cli.py": "def run(sessions):\n    with sessions() as session, session.begin():\n        pass\n"
        },
        ["cashback/cli.py:2: session.begin()"],
    ),
    (
        "only_the_unit_of_work_commits",
        {"kernel/database.py": None},
        [
            "kernel/database.py: named as the unit of work, but missing: say where the unit of work went"
        ],
    ),
    (
        "no_module_loaded_by_name",
        {"toshav/domains.py": "import importlib\n"},
        ["toshav/domains.py:1: loads a module by name: import importlib"],
    ),
    (
        "no_module_loaded_by_name",
        {"toshav/domains.py": "from importlib import import_module\n\nimport_module(name)\n"},
        [
            "toshav/domains.py:1: loads a module by name: from importlib import import_module",
            "toshav/domains.py:3: loads a module by name: import_module(name)",
        ],
    ),
    (
        "no_module_loaded_by_name",
        {"toshav/domains.py": "import pkgutil\nimport sys\n\nloaded = sys.modules['parking']\n"},
        [
            "toshav/domains.py:1: loads a module by name: import pkgutil",
            "toshav/domains.py:4: loads a module by name: sys.modules",
        ],
    ),
    (
        "no_module_loaded_by_name",
        {"toshav/serving.py": "import uvicorn\n\nuvicorn.run('toshav.app:create_app')\n"},
        [
            "toshav/serving.py: names no module 'toshav.main:app' any more: drop it from NAMED_MODULES_ALLOWED",
            "toshav/serving.py:3: names the module 'toshav.app:create_app'",
        ],
    ),
    (
        "no_file_over_the_limit",
        {"cashback/service/purchases.py": "pass\n" * (MAX_LINES + 1)},
        [
            f"cashback/service/purchases.py:{MAX_LINES + 1}: {MAX_LINES + 1} lines, over {MAX_LINES}; split it by sub-domain"
        ],
    ),
    (
        "every_domain_has_the_same_rooms",
        {"cashback/schemas.py": None},
        ["cashback/: lacks schemas (a module or a package each)"],
    ),
    (
        "every_domain_has_the_same_rooms",
        {
            "benefits/ledger/__init__.py": None,
            **{f"benefits/ledger/{room}.py": None for room in ROOMS},
            "benefits/uptake/__init__.py": None,
            **{
                f"benefits/uptake/{room}.py": None
                for room in ("models", "schemas", "repository", "service", "endpoints")
            },
        },
        [
            "benefits/: lacks models, schemas, repository, service, exceptions (a module or a package each)",
            "benefits/uptake/: in ROOM_EXEMPTIONS, but no such domain",
        ],
    ),
    (
        "every_domain_has_the_same_rooms",
        {"resident_card/audit/exceptions.py": ""},
        [
            "resident_card/audit/: exempt from exceptions in ROOM_EXEMPTIONS, but has it: drop the exemption"
        ],
    ),
    (
        "every_domain_has_the_same_rooms",
        {"resident_card/messages/__init__.py": "", "resident_card/messages/service.py": ""},
        [
            "resident_card/messages/: lacks models, schemas, repository, endpoints, exceptions (a module or a package each)"
        ],
    ),
    (
        "no_two_modules_import_each_other",
        {
            "parking/models.py": "from parking.schemas import ZoneOut\n",
            "parking/schemas.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .models import Zone\n",
        },
        ["parking/models.py: parking.models <-> parking.schemas"],
    ),
    (
        "every_package_has_a_layer",
        {"kit/__init__.py": ""},
        ["kit/: a package in no layer: add it to ALLOWED and PACKAGES"],
    ),
    (
        "no_session_query_or_legacy_column",
        {"parking/models.py": "zone = Column(String)\n"},
        ["parking/models.py:1: zone = Column(String)"],
    ),
]


def _build(root: Path, files: dict[str, str | None]) -> House:
    for relative, text in {**CLEAN_HOUSE, **files}.items():
        if text is not None:
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return House(root, PACKAGES)


def test_the_clean_house_breaks_no_rule(tmp_path: Path) -> None:
    house = _build(tmp_path, {})
    assert {rule: check(house) for rule, (check, _) in RULES.items()} == {
        rule: [] for rule in RULES
    }


@pytest.mark.parametrize(
    ("rule", "files", "expected"),
    PLANTS,
    ids=[f"{rule}-{next(iter(files))}" for rule, files, _ in PLANTS],
)
def test_a_planted_offence_is_caught(
    tmp_path: Path, rule: str, files: dict[str, str | None], expected: list[str]
) -> None:
    house = _build(tmp_path, files)
    assert RULES[rule][0](house) == expected


def test_every_rule_has_a_planted_offence() -> None:
    assert {rule for rule, _, _ in PLANTS} == set(RULES)


@pytest.mark.parametrize("package", PACKAGES)
def test_a_missing_package_fails_the_rules(tmp_path: Path, package: str) -> None:
    _build(tmp_path, {})
    (tmp_path / package / "__init__.py").unlink()
    with pytest.raises(MissingPackage, match=f"^{package}/ is missing"):
        House(tmp_path, PACKAGES)
