"""duban's domain library: tasks, registry, calendar, forms, intake, merge, report, notify.

Nothing here knows about the command line or the scheduler (see ``jobs``).

openpyxl, when first imported, imports numpy (about 80 modules, 0.1 s: a third of what the
notice day imports) only so that numpy numbers can be cell values; duban writes none. The
finder below hides numpy from openpyxl's own import, unless numpy was imported before;
numpy imports as usual afterwards (matplotlib's charts).
"""

import sys as _sys


class _OpenpyxlWithoutNumpy:
    """A meta path finder for ``openpyxl`` alone, used once: the real spec, its loader
    wrapped so that numpy is hidden while the package runs."""

    def find_spec(self, name, path=None, target=None):
        if name != "openpyxl":
            return None
        _sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _NumpyHidden(spec.loader)
        return spec


class _NumpyHidden:
    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):  # get_source, is_package … from the real loader
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        hide = "numpy" not in _sys.modules
        if hide:
            _sys.modules["numpy"] = None  # "import numpy" fails
        try:
            self.loader.exec_module(module)
        finally:
            if hide and _sys.modules.get("numpy", False) is None:
                del _sys.modules["numpy"]


if "openpyxl" not in _sys.modules:
    _sys.meta_path.insert(0, _OpenpyxlWithoutNumpy())
