"""Demo data for ``make run``: a small layer of city points and a ready-to-run request.

The coordinates are well-known city centres (public facts), written by hand
for this project.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

from rich.console import Console

from honua.settings import Settings


def demo_layer_path() -> Path:
    return Path(str(files("honua") / "data" / "demo_cities.geojson"))


def install_demo(settings: Settings, console: Console) -> Path:
    """Copy the demo layer and an example execute request into ``<data_dir>/demo``."""
    target = settings.data_dir / "demo"
    target.mkdir(parents=True, exist_ok=True)
    layer = target / "cities.geojson"
    shutil.copyfile(demo_layer_path(), layer)
    request = target / "buffer-request.json"
    request.write_text(
        '{"inputs": {"features": ' + layer.read_text() + ', "distance": {"value": 10, '
        '"unit": "kilometers"}}, "response": "document"}\n')
    base = f"http://{settings.host}:{settings.port}"
    console.print(
        f"Demo data in {target}. Try:\n"
        f"  curl -s -X POST {base}/api/processes/buffer/execution "
        f"-H 'Content-Type: application/json' -d @{request}\n"
        f"  honua submit buffer -i features=@{layer} -i 'distance=\"10 km\"'")
    return target
