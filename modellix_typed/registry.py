"""Find generated request classes by slug (``provider/model_id``) without importing every model module.

Listing reads the generated catalog (plain data); :func:`get` (and what calls it) imports only the one module
that defines the requested class, found by the generator's naming rules (the catalog is not read).
Packages generated into a user's own codebase join by :func:`register_package` (see :mod:`.model_packages`).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from . import model_packages
from .errors import ConfigurationError, ModellixError
from .json_checks import add_json_issues, check_json, check_validated_json
from .models._typed_calls import typed_function
from .naming import class_name, module_name, package_name
from .request import RequestModel, canonical_path
from .validation import ValidationError

T = TypeVar("T")

if TYPE_CHECKING:
    from .validation import Issue


class UnknownModel(ModellixError, LookupError):
    """No generated class for this slug; the message suggests the closest known slugs."""

    def __init__(self, slug: str, suggestions: list[str]) -> None:
        self.slug = slug
        self.suggestions = suggestions
        hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"unknown model {slug!r}{hint} (list them with modellix_typed.registry.list_models())")


@attrs.frozen
class CatalogEntry:
    """One generated model, as listed in the catalog (no import of its module needed)."""

    slug: str
    provider: str
    model_id: str
    task_type: str
    method: str
    documented_path: str
    doc_url: str
    title: str
    class_name: str
    module: str
    package: str = model_packages.SHIPPED
    """The generated models package that defines it (``mypkg.models`` for a registered package)."""

    @property
    def path(self) -> str:
        """The canonical submit path (see :func:`modellix_typed.request.canonical_path`)."""
        return canonical_path(self.provider, self.model_id)

    @property
    def import_path(self) -> str:
        """``from <module> import <class_name>`` spelled as ``modellix_typed.models.<pkg>.<mod>:<Class>``."""
        return f"{self.package}.{self.module}:{self.class_name}"


def register_package(package: str) -> None:
    """Make the models generated into ``package`` (``codegen generate --out src/mypkg`` makes ``mypkg.models``)
    reachable by slug: :func:`get`, ``submit(slug, body)``, listing, JSON Schema. Its classes win over the
    shipped ones for the same slug. The CLI reads ``MODELLIX_MODELS_PACKAGES`` or the ``modellix_typed.models``
    entry point group instead."""
    if model_packages.register(package):
        _CLASSES.clear()
        try:
            _catalog()  # fail now, naming the package, if it is not a generated one
        except ConfigurationError:
            model_packages.unregister(package)
            raise


def _catalog() -> Mapping[str, Mapping[str, str]]:
    """Every package's catalog merged (a registered package's entry wins), each entry naming its package."""
    order = model_packages.search_order()
    if len(order) == 1:
        from .models._catalog import CATALOG

        return CATALOG
    merged: dict[str, Mapping[str, str]] = {}
    for package in reversed(order):
        try:
            catalog: Mapping[str, Mapping[str, str]] = importlib.import_module(f"{package}._catalog").CATALOG
        except ImportError as exc:
            raise ConfigurationError(
                f"model package {package!r} (registered, or from {model_packages.ENV_PACKAGES} or the "
                f"{model_packages.ENTRY_POINT_GROUP!r} entry points) has no generated catalog: {exc}"
            ) from exc
        for slug, entry in catalog.items():
            merged[slug] = {**entry, "package": package} if package != model_packages.SHIPPED else entry
    return merged


def _info(slug: str, entry: Mapping[str, str]) -> CatalogEntry:
    return CatalogEntry(
        slug=slug,
        provider=entry["provider"],
        model_id=entry["model_id"],
        task_type=entry["task_type"],
        method=entry["method"],
        documented_path=entry["documented_path"],
        doc_url=entry["doc_url"],
        title=entry["title"],
        class_name=entry["class_name"],
        module=entry["module"],
        package=entry.get("package", model_packages.SHIPPED),
    )


def info(slug: str) -> CatalogEntry:
    """Catalog entry of ``slug``; raises :class:`UnknownModel` with did-you-mean suggestions."""
    found = find_info(slug)
    if found is None:
        raise UnknownModel(slug, suggest(slug))
    return found


def find_info(slug: str) -> CatalogEntry | None:
    """Catalog entry of ``slug``, or None (no suggestions computed: for callers to whom unknown is an answer)."""
    entry = _catalog().get(slug)
    return None if entry is None else _info(slug, entry)


def suggest(slug: str) -> list[str]:
    """The known slugs closest to ``slug`` (what :class:`UnknownModel` suggests)."""
    return _suggest(slug, _catalog())


def _suggest(slug: str, catalog: Mapping[str, Mapping[str, str]]) -> list[str]:
    by_model_id = [known for known, entry in catalog.items() if entry["model_id"] == slug.rpartition("/")[2]]
    if by_model_id:
        return sorted(by_model_id)[:3]
    return difflib.get_close_matches(slug, list(catalog), n=3, cutoff=0.6)


_CLASSES: dict[str, type[RequestModel]] = {}
"""Classes already looked up, so per-request validation by slug costs a dict lookup."""


def get(slug: str) -> type[RequestModel]:
    """The request class of ``slug`` (:func:`find`); raises :class:`UnknownModel` with did-you-mean
    suggestions."""
    cls = _CLASSES.get(slug)
    if cls is None:
        cls = find(slug)
        if cls is None:
            raise UnknownModel(slug, suggest(slug))
    return cls


def find(slug: str) -> type[RequestModel] | None:
    """The request class of ``slug``, or None (no suggestions computed): imports only its module (and its
    provider package), located by the generator's naming rules; the catalog is read only when that fails."""
    cls = _CLASSES.get(slug)
    if cls is None:
        for package in model_packages.search_order():
            cls = find_class(package, slug)
            if cls is not None:
                break
        else:
            entry = find_info(slug)
            if entry is None:
                return None
            module = importlib.import_module(f"{entry.package}.{entry.module}")
            cls = getattr(module, entry.class_name)
        _CLASSES[slug] = cls
    return cls


def find_class(models_package: str, slug: str) -> type[RequestModel] | None:
    """The class generated for ``slug`` under ``models_package``, found without the catalog (so a lookup costs
    the same in a catalog of 20 or 2,000 models), or None when no generated module matches it exactly."""
    provider, sep, model_id = slug.partition("/")
    if not sep:
        return None
    try:
        module_path = f"{models_package}.{package_name(provider)}.{module_name(model_id)}"
        name = class_name(model_id)
    except ValueError:
        return None
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError:
        return None
    cls = getattr(module, name, None)
    endpoint = getattr(cls, "ENDPOINT", None)
    if not isinstance(cls, type) or not issubclass(cls, RequestModel) or getattr(endpoint, "slug", None) != slug:
        return None
    return cls


def list_models(provider: str | None = None, task_type: str | None = None) -> list[CatalogEntry]:
    """Every generated model (sorted by slug), optionally filtered by provider and task type."""
    return [
        _info(slug, entry)
        for slug, entry in sorted(_catalog().items())
        if (provider is None or entry["provider"] == provider)
        and (task_type is None or entry["task_type"] == task_type)
    ]


@typed_function  # the body's TypedDict by slug, for type checkers (generated)
def validate(slug: str, data: Mapping[str, Any]) -> RequestModel:
    """Validate a plain JSON body against ``slug``'s documented rules; raises ValidationError with every issue
    (also where the body is not standard JSON: NaN/Infinity, lone surrogates).

    An ``"extra_body"`` object in ``data`` (when the model documents no such field) holds undocumented
    parameters, as ``extra_body=`` does in Python: sent as they are, never one that is documented.
    """
    cls = get(slug)
    rest, extra = _split_extra_body(cls, data)
    request = _checked(slug, cls, data, rest, extra, cls.from_dict)
    if extra is not None:
        setattr(request, "extra_body", extra)  # noqa: B010 - every generated class has it (checked on assignment)
    return request


@typed_function
def check(slug: str, data: Mapping[str, Any]) -> None:
    """Validate-only :func:`validate`: the same issues in the same ValidationError, no request object built."""
    cls = get(slug)
    rest, extra = _split_extra_body(cls, data)
    _checked(slug, cls, data, rest, extra, cls.validate_dict)


def _checked(
    slug: str,
    cls: type[RequestModel],
    data: Mapping[str, Any],
    rest: Mapping[str, Any],
    extra: Any,
    check: Callable[[Mapping[str, Any]], T],
) -> T:
    """``check(rest)`` (the generated class's own checks on the documented part), with every issue at once: its
    own, the ``extra_body`` object's, and where ``data`` is not standard JSON (NaN/Infinity, lone surrogates)."""
    issues = [] if extra is None else _extra_body_issues(cls, extra)
    try:
        result = check(rest)
    except ValidationError as exc:
        raise add_json_issues(ValidationError(exc.model, [*exc.issues, *issues]), data) from None
    if issues:
        raise add_json_issues(ValidationError(_model_name(cls), issues), data)
    if extra is None and data.__class__ is dict:  # every key is a documented field: walk the ones that need it
        check_validated_json(slug, cls, data)
    else:
        check_json(slug, data)
    return result


def _model_name(cls: type[RequestModel]) -> str:
    return str(getattr(cls, "_MODEL_NAME", cls.ENDPOINT.slug))


def _documented(cls: type[RequestModel]) -> Mapping[str, str]:
    """Wire name -> Python name of each documented top-level field."""
    documented: Mapping[str, str] = getattr(cls, "_DOCUMENTED", {})
    return documented


def _split_extra_body(cls: type[RequestModel], data: Mapping[str, Any]) -> tuple[Mapping[str, Any], Any]:
    """(the documented part, the ``extra_body`` value or None) of a JSON body."""
    if data.__class__ is not dict and not isinstance(data, Mapping):
        return data, None
    if "extra_body" not in data or "extra_body" in _documented(cls):
        return data, None
    return {k: v for k, v in data.items() if k != "extra_body"}, data["extra_body"]


def _extra_body_issues(cls: type[RequestModel], extra: Any) -> list[Issue]:
    from .validation import check_extra_body

    issues: list[Issue] = []
    check_extra_body(extra, _documented(cls), issues)
    return issues


def json_schema(slug: str) -> dict[str, Any]:
    """The documented request body JSON Schema of ``slug`` (for validation in other codebases), with the rules its
    page states in prose added where JSON Schema can express them and the rest under ``x-modellix-rules``."""
    from .rules import schema_with_rules

    cls = get(slug)
    return schema_with_rules(cls.json_schema(), cls._RULES)
