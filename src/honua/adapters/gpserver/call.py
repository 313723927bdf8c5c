"""One GPServer request, decoded: what every handler of the adapter is given."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

__all__ = ["Call"]


@dataclass
class Call:
    """One request, decoded: its parameters, format and public base URL."""

    request: Request
    params: dict[str, str]
    f: str
    base: str

    @property
    def root(self) -> str:
        return f"{self.base}/arcgis/rest/services"

    def path(self, name: str) -> str:
        return str(self.request.path_params.get(name, ""))
