"""suho (수호): Korean-first AI security evaluation.

The public API lives in the sub-packages, one per core noun: ``suho.targets``, ``suho.probes``,
``suho.transforms``, ``suho.attacks``, ``suho.detectors``, ``suho.engine``, ``suho.store``,
``suho.stats``, ``suho.report`` and ``suho.export``. Importing ``suho`` itself is cheap on purpose.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
