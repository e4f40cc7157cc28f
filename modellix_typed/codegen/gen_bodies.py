"""Where a model's JSON body gets its static type: one ``TypedDict`` per generated class (wire names, ``Literal``
values, ``NotRequired`` optional keys), and the slug table the typed call signatures are generated from.

The TypedDicts live in one ``_bodies`` module per provider package (never imported at run time by a model
module), so a type checker reading a user's ``client.submit("google/nano-banana", {...})`` parses the small
bodies modules, not the model classes.
"""

from __future__ import annotations

import keyword
import re

import attrs

from modellix_typed.codegen.gen_model import GenerateError, ModelView


@attrs.frozen
class BodyField:
    wire: str
    type: str
    required: bool


@attrs.frozen
class BodyView:
    name: str
    """The TypedDict's name: the class name plus ``Body`` (``NanoBananaBody``, ``Veo2I2VImageBody``)."""
    doc: str
    fields: list[BodyField]

    @property
    def functional(self) -> bool:
        """A wire name that is not a Python identifier needs ``TypedDict("Name", {...})`` syntax."""
        return any(not f.wire.isidentifier() or keyword.iskeyword(f.wire) for f in self.fields)


def body_name(class_name: str) -> str:
    return class_name + "Body"


def bodies(view: ModelView) -> list[BodyView]:
    """The TypedDicts of one model, nested ones first (the root last, so each refers only to earlier names)."""
    nested = {c.name for c in view.classes if not c.is_root}
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, nested), key=len, reverse=True)) + r")\b") if nested else None

    def body_type(annotation: str) -> str:
        return pattern.sub(lambda match: body_name(match.group(1)), annotation) if pattern else annotation

    out: list[BodyView] = []
    for c in view.classes:  # build order: nested classes are appended before their owner
        owner = view.slug if c.is_root else c.model_name
        fields = [BodyField(f.wire, body_type(f.type), f.kind == "required") for f in c.fields]
        out.append(BodyView(body_name(c.name), f"The JSON body of {owner}, as a plain dict (wire names).", fields))
    return out


def provider_aliases(views: list[ModelView]) -> dict[str, str]:
    """Every ``Literal`` alias the provider's bodies refer to (one provider's names never clash)."""
    aliases: dict[str, str] = {}
    for view in views:
        for name, code in view.aliases.items():
            if aliases.setdefault(name, code) != code:
                raise GenerateError(f"{view.package}: two different enums named {name}")
    return aliases


def typed_slugs(views: list[ModelView]) -> list[tuple[str, str, str]]:
    """(slug, provider package, root body name) of every model whose body a TypedDict describes exactly (a root
    that allows undocumented keys is left to the untyped signature)."""
    return [
        (view.slug, view.package, body_name(view.class_name))
        for view in views
        if not any(c.is_root and c.extra_allowed for c in view.classes)
    ]
