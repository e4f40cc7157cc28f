"""Public names of generated classes and modules: natural and stable (they are the import surface)."""

from __future__ import annotations

import pytest

from modellix_typed.codegen.gen_names import class_name, module_name


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("imagen-4.0-generate-001", "Imagen40Generate001"),
        ("veo-3.1-t2v", "Veo31T2V"),
        ("hailuo-2.3-fast-i2v", "Hailuo23FastI2V"),
        ("qwen-image-plus", "QwenImagePlus"),
        ("seedream-4.5-t2i", "Seedream45T2I"),
        ("hailuo-02-fl2v", "Hailuo02FL2V"),
        ("minimax-s2v-01", "MinimaxS2V01"),
        ("wan-2.2-r2v", "Wan22R2V"),
        ("kling-v2-v2v", "KlingV2V2V"),
        ("3d-gen", "Model3dGen"),
    ],
)
def test_class_names(model_id: str, expected: str) -> None:
    assert class_name(model_id) == expected
    assert class_name(model_id).isidentifier()


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [("imagen-4.0-generate-001", "imagen_4_0_generate_001"), ("veo-3.1-t2v", "veo_3_1_t2v"), ("3d", "m_3d")],
)
def test_module_names(model_id: str, expected: str) -> None:
    assert module_name(model_id) == expected
