"""The pages in a real browser: Debian's chromium driven by Playwright (``make test``
installs both: ``scripts/services.py`` the browser, the ``[test]`` extra Playwright).

A person opens the landing page, runs a buffer from the process form, watches the job
page follow the job to success over Server-Sent Events and sees the features on the map,
then cancels a running job from the operator dashboard. Screenshots are kept under
``.honua-test/screenshots`` for a person to look at.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from honua.app import build_services, create_app
from honua.core.identity import ApiKey, hash_key, new_key
from honua.demo import install_demo
from honua.settings import Settings
from tests.support.servers import serve

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / ".honua-test" / "screenshots"

playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():  # make test installs it (scripts/services.py); say so plainly
    pytest.fail(f"{CHROMIUM} is missing: run make test (as root) or apt-get install chromium",
                pytrace=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("browser") / "data", workers=2,
                        cleanup_interval_seconds=3600,
                        process_modules=("tests.plugins.misbehaving",))
    install_demo(settings, Console(quiet=True))
    services = build_services(settings)
    key = new_key()
    services.authenticator.store.add_key(ApiKey("operator", hash_key(key), "ops",
                                                frozenset({"admin"}), dt.datetime.now(dt.UTC)))
    with serve(create_app(settings, services=services)) as base:
        yield base, {"X-API-Key": key}


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site):
    base, key = site
    context = browser.new_context(base_url=base, extra_http_headers=key,
                                  viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.set_default_timeout(30_000)
    yield tab
    context.close()
    assert errors == [], errors  # no script on any page failed


_BLUE_PIXELS = """selector => {
    let total = 0;
    for (const canvas of document.querySelectorAll(selector + " canvas")) {
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4)
            if (data[i + 3] > 0 && data[i] < 120 && data[i + 2] > 150) total++;
    }
    return total;
}"""


def painted(page, selector: str, at_least: int) -> int:
    """Pixels of the features' blue on the map's canvas (the graticule is grey: not counted),
    once there are ``at_least`` of them or the page's timeout has passed: Leaflet draws on
    the next animation frame after the layer is added, not when the page says it has data."""
    with contextlib.suppress(playwright_api.TimeoutError):  # the caller's assertion reports
        page.wait_for_function(f"({_BLUE_PIXELS})({selector!r}) >= {at_least}")
    return page.evaluate(_BLUE_PIXELS, selector)


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_landing_page_links_the_three_surfaces(page):
    page.goto("/")
    assert page.title().startswith("Honua")
    for text in ("OGC API - Processes & Features", "Esri GPServer", "OGC WPS 1.0.0 / 2.0"):
        assert page.get_by_role("link", name=text).is_visible()
    shot(page, "landing")
    page.get_by_role("link", name="Esri GPServer").click()
    assert "/arcgis/rest/services" in page.url


def test_run_a_buffer_from_the_form_and_see_it_on_the_map(page):
    page.goto("/api/processes/buffer?f=html")
    assert "Honolulu" in page.locator("textarea[name=features]").input_value()
    shot(page, "process-buffer")
    page.get_by_role("button", name="Run buffer").click()
    page.wait_for_url("**/api/jobs/*?f=html")
    page.wait_for_function("document.getElementById('job-status') !== null"
                           " && document.getElementById('job-status').textContent === 'successful'"
                           " && document.querySelector('[data-features]') !== null")
    map_ = page.locator(".map").first
    page.wait_for_function("Number(document.querySelector('.map').dataset.features) > 0")
    assert map_.get_attribute("data-features") == "2"
    assert "2 features shown" in page.locator(".map-caption").first.inner_text()
    shot(page, "job-buffer-succeeded")
    assert painted(page, ".map", 301) > 300  # the two 10 km circles are drawn


def test_the_job_page_follows_a_running_job_to_success(page, site):
    base, key = site
    submitted = httpx.post(f"{base}/api/processes/sleepy/execution", headers={
        **key, "Prefer": "respond-async"}, json={"inputs": {"seconds": 4}})
    job_id = submitted.json()["jobID"]
    page.goto(f"/api/jobs/{job_id}?f=html")
    assert page.locator("#job-status").inner_text() in ("accepted", "running")
    page.wait_for_function("(() => { const p = parseInt(document.getElementById("
                           "'job-progress-text').textContent); return p > 0 && p < 100; })()")
    page.wait_for_function("document.getElementById('job-live').textContent === 'live'")
    shot(page, "job-running")
    messages = page.locator("#job-messages li")
    assert "going to sleep" in " ".join(messages.all_inner_texts())
    page.wait_for_function("document.getElementById('job-status') !== null && "
                           "document.getElementById('job-status').textContent === 'successful'",
                           timeout=30_000)
    shot(page, "job-sleepy-succeeded")


def test_a_layer_is_drawn_on_its_collection_page(page):
    page.goto("/api/collections/world-grid?f=html")
    page.wait_for_function("Number(document.querySelector('.map').dataset.features) > 0")
    assert painted(page, ".map", 5_001) > 5_000
    shot(page, "collection-world-grid")
    page.goto("/api/collections/cities/items?f=html")
    page.wait_for_function("Number(document.querySelector('.map').dataset.features) > 0")
    assert page.locator("table.list tr").count() > 2
    shot(page, "items-cities")


def test_cancel_a_running_job_from_the_dashboard(page, site):
    base, key = site
    submitted = httpx.post(f"{base}/api/processes/sleepy/execution", headers={
        **key, "Prefer": "respond-async"}, json={"inputs": {"seconds": 60}})
    job_id = submitted.json()["jobID"]
    for _ in range(200):
        if httpx.get(f"{base}/api/jobs/{job_id}", headers=key).json()["status"] == "running":
            break
    page.goto("/admin?process=sleepy")  # the live list keeps the job once it is cancelled
    row = page.locator(f"tr[data-job='{job_id}']")
    assert "running" in row.inner_text()
    shot(page, "dashboard-running")
    row.get_by_role("button", name="Cancel").click()
    page.wait_for_function(f"""document.querySelector("tr[data-job='{job_id}'] .status")
                               .textContent.startsWith("cancel")""")
    for _ in range(200):
        status = httpx.get(f"{base}/api/jobs/{job_id}", headers=key).json()["status"]
        if status == "dismissed":
            break
    assert status == "dismissed"  # OGC's word for cancelled
    page.goto("/admin")
    shot(page, "dashboard-after-cancel")


def test_the_dashboard_shows_a_new_job_live_without_reload_or_polling(page, site):
    base, key = site
    summaries: list[str] = []
    streams: list[str] = []
    page.on("request", lambda r: (summaries if "/admin/summary" in r.url else
                                  streams if "/admin/events" in r.url else []).append(r.url))
    page.goto("/admin")
    page.wait_for_function("document.getElementById('dashboard-live').textContent === 'live'")
    page.evaluate("window.honuaSamePage = true")  # gone if the page were reloaded
    before = int(page.locator("#count-succeeded").inner_text())
    submitted = httpx.post(f"{base}/api/processes/sleepy/execution", headers={
        **key, "Prefer": "respond-async"}, json={"inputs": {"seconds": 1}})
    job_id = submitted.json()["jobID"]
    page.wait_for_selector(f"tr[data-job='{job_id}']")
    page.wait_for_function(f"""document.querySelector("tr[data-job='{job_id}'] .status")
                               .textContent === "succeeded" """)
    assert int(page.locator("#count-succeeded").inner_text()) == before + 1
    assert page.evaluate("window.honuaSamePage") is True
    assert summaries == [] and len(streams) == 1  # one stream, no poll
    shot(page, "dashboard-live")


def test_the_dashboard_stream_is_refused_without_an_admin(site):
    base, _ = site
    answer = httpx.get(f"{base}/admin/events")
    assert answer.status_code in (401, 403)


def teardown_module() -> None:
    shutil.rmtree(SHOTS / "tmp", ignore_errors=True)


def test_a_gpserver_job_page_follows_its_job_and_maps_the_result(page):
    task = "/arcgis/rest/services/Geoprocessing/GPServer/Buffer"
    page.goto(f"{task}/submitJob?f=html")
    assert "/api/collections/" in page.locator("textarea[name=features]").input_value()
    shot(page, "gpserver-submit-form")
    page.get_by_role("button", name="Submit Job (POST)").click()
    page.wait_for_url("**/jobs/*?f=html")
    page.wait_for_function("document.getElementById('job-status') !== null"
                           " && document.getElementById('job-status').textContent === 'esriJobSucceeded'"
                           " && document.querySelector('.map') !== null"
                           " && Number(document.querySelector('.map').dataset.features) > 0")
    assert painted(page, ".map", 301) > 300
    shot(page, "gpserver-job-succeeded")
