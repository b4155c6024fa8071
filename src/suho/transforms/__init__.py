"""Transforms: prompt -> prompt rewrites (Korean obfuscations, encodings, jailbreak wrappers).

Registered under the ``suho.transforms`` entry-point group. ``get_transform("a+b")`` chains.
"""

from suho.transforms._base import (
    Chain,
    Identity,
    Transform,
    TransformContext,
    applies_to,
    get_transform,
    transform_langs,
    transform_names,
)

__all__ = [
    "Chain",
    "Identity",
    "Transform",
    "TransformContext",
    "applies_to",
    "get_transform",
    "transform_langs",
    "transform_names",
]
