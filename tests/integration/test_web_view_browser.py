"""The recruiter page in a real browser: the matcher's ASGI app served by uvicorn against the real
(Tansu) broker, its shortlists made by the matcher consuming ``match.requested``, over a store that
ingest filled with the bundled samples. The browser then reads a second, fresh matcher process (a
restart, or another replica behind the Service) that made none of them: its page reads them from
the ``shortlist.published`` topic. Headless Chromium (Debian's, through Selenium and Debian's
chromedriver; ``scripts/install-browser.sh``) clicks from the job list into a job and keeps
screenshots under ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.to_thread
import pytest
from faststream.asgi import AsgiFastStream
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from schemas.events import MatchRequestedV1
from schemas.topics import Topics
from services import samples
from services.matcher.app import create_asgi_app
from services.platform.http import WorkerServer
from services.platform.kafka import make_broker
from services.platform.messaging import key
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from services.topic_lag import partitions_of, throwaway_consumer
from tests.integration.pipeline import committed_offsets
from tests.unit.pipeline_harness import pipeline

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
JOB = "job-unclear-ai-rockstar"  # the sample JD with four clarity warnings
TOP_K = 5
FLAGS = (  # what works in a container: no sandbox, no GPU, nothing that phones home
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--window-size=1400,1000",
)

pytestmark = [
    pytest.mark.broker,
    # Skipped only when the browser is absent, never for anything else.
    pytest.mark.skipif(
        not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
        reason=f"needs {CHROMIUM} and {CHROMEDRIVER}: run scripts/install-browser.sh (Debian chromium)",
    ),
]


async def test_a_recruiter_browses_from_the_job_list_to_a_shortlist(
    kafka_settings: KafkaSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SE_OFFLINE", "true")  # belt and braces: Selenium Manager never downloads
    jobs = samples.load_jobs()
    with pipeline(tmp_path) as filled:  # ingest's use-case writes the store; then the app opens it
        for candidate in samples.load_candidates():
            filled.submit(candidate)
        for job in jobs:
            filled.post(job)
    settings = Settings(kafka=kafka_settings, qdrant=QdrantSettings(path=tmp_path / "store"))
    job_ids = [job.job_id for job in jobs]
    async with served(create_asgi_app(settings)) as port:  # the process that makes the shortlists
        with anyio.fail_after(90):
            await request_matches(kafka_settings, job_ids)
            await until_shown(port, job_ids)
            await until_committed(settings, len(job_ids))  # a restart must not redo a request
    made = await shortlists_published(kafka_settings)
    assert made >= len(job_ids)
    # A fresh process over the same store and topics: it has made no shortlist, yet shows them all.
    async with served(create_asgi_app(settings)) as port:
        with anyio.fail_after(30):
            await until_shown(port, job_ids)  # every row of the list screenshot shows its shortlist
        shots = await anyio.to_thread.run_sync(browse, f"http://127.0.0.1:{port}", tmp_path / "chromium")
    assert await shortlists_published(kafka_settings) == made  # read from the topic, not made again
    with capsys.disabled():  # shown even without -s: where to look at the page
        print("".join(f"\nscreenshot: {path}" for path in shots))


def browse(base: str, profile_dir: Path) -> list[Path]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    # An explicit driver path makes Selenium skip Selenium Manager (no lookup, no download).
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.get(base + "/")
        rows = driver.find_elements(By.CSS_SELECTOR, "table.jobs tbody tr")
        assert len(rows) == len(samples.load_jobs())
        shots = [save(driver, "web-view-jobs.png")]
        driver.find_element(By.CSS_SELECTOR, f'tr[data-job-id="{JOB}"] a.job-link').click()
        WebDriverWait(driver, 10).until(expected_conditions.url_contains(f"/job?id={JOB}"))

        assert driver.find_element(By.TAG_NAME, "h1").text == "AI/ML Data Scientist / Engineer Rockstar"
        candidates = driver.find_elements(By.CSS_SELECTOR, "tr.candidate")
        assert len(candidates) == TOP_K and all(row.is_displayed() for row in candidates)
        assert candidates[0].find_element(By.CSS_SELECTOR, ".mono").text.startswith("cand-")
        missing = candidates[0].find_elements(By.CSS_SELECTOR, ".chip.missing")
        assert any(chip.is_displayed() and chip.text for chip in missing)
        warnings = [w.text for w in driver.find_elements(By.CSS_SELECTOR, "#clarity li") if w.is_displayed()]
        assert any(w.startswith("laundry list — 27 must-have skills") for w in warnings), warnings
        assert len(candidates[0].find_elements(By.CSS_SELECTOR, ".bars .bar")) >= 5
        shots.append(save(driver, "web-view-job.png"))
    finally:
        driver.quit()
    return shots


def save(driver: webdriver.Chrome, name: str) -> Path:
    """The whole page, not just the window: grow the window to the page's height first."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    driver.set_window_size(1400, max(1000, int(size["height"]) + 140))
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path)), path
    return path


async def request_matches(settings: KafkaSettings, job_ids: list[str]) -> None:
    topic = Topics(settings.topic_prefix).match_requested
    async with make_broker(settings, logger=None) as broker:
        await broker.start()
        for job_id in job_ids:
            await broker.publish(MatchRequestedV1(job_id=job_id, top_k=TOP_K), topic, key=key(job_id))


@asynccontextmanager
async def served(app: AsgiFastStream) -> AsyncIterator[int]:
    """The app under uvicorn on a free port, stopped (lifespan and all) on the way out."""
    server = WorkerServer(app, "127.0.0.1", 0)
    task = asyncio.create_task(server.serve())
    try:
        with anyio.fail_after(30):
            while not server.started:
                await asyncio.sleep(0.05)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task
    assert not server.failed


async def until_shown(port: int, job_ids: list[str]) -> None:
    for job_id in job_ids:
        while not await has_shortlist(port, job_id):
            await asyncio.sleep(0.2)


async def until_committed(settings: Settings, requests: int) -> None:
    group = f"{settings.matcher.group_id}.match-requested"
    topic = Topics(settings.kafka.topic_prefix).match_requested
    partitions = settings.kafka.partitions
    while sum((await committed_offsets(settings, group, topic, partitions)).values()) < requests:
        await asyncio.sleep(0.2)


async def shortlists_published(settings: KafkaSettings) -> int:
    """Records on the shortlist topic: the sum of its partitions' end offsets."""
    consumer = throwaway_consumer(settings)
    await consumer.start()
    try:
        tps = await partitions_of(consumer, Topics(settings.topic_prefix).shortlist_published)
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


async def has_shortlist(port: int, job_id: str) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /job.json?id={job_id} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
    response = await reader.read()
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]) == 200 and json.loads(body)["shortlist"] is not None
