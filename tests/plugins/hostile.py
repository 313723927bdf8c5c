"""Processes whose words are hostile markup: the pages must show them as text, never run them."""

from __future__ import annotations

from typing import Annotated

from honua import Context, FeatureCollection, Input, process

SCRIPT = "<script>alert('pwned')</script>"


@process("hostile", title=f"Hostile {SCRIPT}", description=f"Says {SCRIPT} <img src=x onerror=alert(2)>",
         category="Test")
def hostile(ctx: Context, features: Annotated[FeatureCollection, Input(
        title=f"Features {SCRIPT}", description=f"described as {SCRIPT}")],
            label: Annotated[str, Input(title="Label", description="</textarea><script>x()</script>")]
            = "</textarea><script>alert(3)</script>") -> FeatureCollection:
    ctx.message(f"message {SCRIPT}")
    ctx.progress(50, f"progress {SCRIPT}")
    return features
