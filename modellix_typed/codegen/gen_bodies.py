"""Where a model's JSON body gets its static type: one ``TypedDict`` per generated class (wire names, ``Literal``
values, ``NotRequired`` optional keys), and the slug table the typed call signatures are generated from.

The TypedDicts (and the model's ``Literal`` aliases, which its class module imports) live in one small module
per model under ``models/_bodies/<provider>/``, so a type checker reading a user's
``client.submit("google/nano-banana", {...})`` parses those, not the model classes, and importing one class
loads only its own model's bodies (the cost stays flat as a provider grows).
"""

from __future__ import annotations

import keyword
import re

import attrs

from modellix_typed.codegen.gen_model import ModelView


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
        annotation = annotation.replace("v.LocalFile", "LocalFile")  # a media-URL field also takes a local file
        return pattern.sub(lambda match: body_name(match.group(1)), annotation) if pattern else annotation

    out: list[BodyView] = []
    for c in view.classes:  # build order: nested classes are appended before their owner
        owner = view.slug if c.is_root else c.model_name
        fields = [BodyField(f.wire, body_type(f.type), f.kind == "required") for f in c.fields]
        out.append(BodyView(body_name(c.name), f"The JSON body of {owner}, as a plain dict (wire names).", fields))
    return out


def typed_slugs(views: list[ModelView]) -> list[tuple[str, str, str]]:
    """(slug, bodies module under ``models._bodies``, root body name) of every model whose body a TypedDict describes exactly (a root
    that allows undocumented keys is left to the untyped signature)."""
    return [
        (view.slug, f"{view.package}.{view.module}", body_name(view.class_name))
        for view in views
        if view.typed_body
    ]
