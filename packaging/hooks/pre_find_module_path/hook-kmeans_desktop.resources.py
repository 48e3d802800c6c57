"""PyInstaller: `kmeans_desktop.resources` is the repository's top-level resources/ folder.

pyproject.toml maps it into the package (setuptools' package-dir); PyInstaller's module finder
only searches `kmeans_desktop/`, so this hook points it at the folder's parent. build.spec
collects the data files to kmeans_desktop/resources/ in the bundle, where importlib.resources
finds them.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def pre_find_module_path(api):
    api.search_dirs = [str(ROOT)]
