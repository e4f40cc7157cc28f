"""What a REPL, a notebook and help() show of the generated classes: lazy packages list providers, classes and
body TypedDicts only; a constructor keyword that is not a field is a TypeError (and a ValidationError) naming it
with a did-you-mean, a wire name mapped to its Python name; signatures hide the private ``_fields_set``."""

from __future__ import annotations

import inspect
import pydoc

import attrs
import pytest

from modellix_typed import ValidationError, models
from modellix_typed.constructor import UnknownArgument
from modellix_typed.models import google
from modellix_typed.models.google import NanoBanana, NanoBananaBody
from modellix_typed.models.google.imagen_4_0_generate_001 import Imagen40Generate001


def test_dir_lists_providers_and_classes_without_helper_names() -> None:
    assert dir(models) == ["alibaba", "bytedance", "google", "kling", "minimax", "openai", "vidu"]
    names = dir(google)
    assert "NanoBanana" in names and "NanoBananaBody" in names and "Veo31T2V" in names
    assert not {"Any", "TYPE_CHECKING", "importlib", "annotations", "_MODULES"} & set(names)
    assert google.NanoBananaBody is NanoBananaBody
    assert models.google is google


def test_wire_name_keyword_names_the_python_attribute() -> None:
    with pytest.raises(UnknownArgument) as caught:
        NanoBanana(prompt="x", aspectRatio="16:9")  # type: ignore[arg-type]
    error = caught.value
    assert isinstance(error, TypeError) and isinstance(error, ValidationError)
    assert [(i.path, i.rule, i.value) for i in error.issues] == [("aspectRatio", "unknown_argument", "16:9")]
    assert "did you mean aspect_ratio?" in str(error)


def test_misspelt_keyword_gets_a_suggestion_and_an_unknown_one_the_parameter_list() -> None:
    with pytest.raises(TypeError, match="did you mean sample_count"):
        Imagen40Generate001(prompt="x", sample_cont=2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="its parameters are: prompt, aspect_ratio, extra_body"):
        NanoBanana(prompt="x", zzz=1)  # type: ignore[arg-type]


def test_signatures_hide_fields_set_and_evolve_still_keeps_it() -> None:
    signature = inspect.signature(NanoBanana)
    assert list(signature.parameters) == ["prompt", "aspect_ratio", "extra_body"]
    assert "_fields_set" not in pydoc.render_doc(NanoBanana).split("Methods defined here")[0]
    request = NanoBanana(prompt="x")
    assert attrs.evolve(request, prompt="y").to_dict() == {"prompt": "y"}
