"""A real headless Chromium for the 看板 tests (Debian's ``chromium`` + ``chromidriver``
through selenium): a fresh profile, no background traffic, every host unresolvable, the
console and the network recorded."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and Path(p).exists()), None
)
CHROMEDRIVER = next(
    (p for p in ("/usr/bin/chromedriver", shutil.which("chromedriver")) if p and Path(p).exists()),
    None,
)
MISSING = "" if CHROMIUM and CHROMEDRIVER else "chromium / chromedriver not installed"

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # any host lookup fails: the page needs none
)


def start(profile: Path):
    """A Chromium with a fresh ``profile`` dir, logging the console and the network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))


def open_page(driver, path: Path, *, width: int = 1920, height: int = 1080, hash: str = "") -> None:
    """Load ``path`` at a viewport ``width`` wide (a phone below 500 px), logs emptied first."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
    )
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(path.as_uri() + hash)


def requests(driver) -> list[str]:
    """Every URL the browser asked for since the last call (CDP Network events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            params = message["params"]
            urls.append(params.get("request", {}).get("url") or params.get("url", ""))
    return urls


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def print_pdf(driver, target: Path) -> Path:
    """The page printed as Chromium prints it (A4 from the page's @page, backgrounds on)."""
    pdf = driver.execute_cdp_cmd(
        "Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True}
    )
    target.write_bytes(base64.b64decode(pdf["data"]))
    return target


def screenshot(driver, target: Path, width: int, height: int | None = None) -> Path:
    """The page from its top, ``height`` pixels (default: all of it)."""
    h = height or driver.execute_script("return document.documentElement.scrollHeight")
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": h, "scale": 1},
        },
    )
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF (poppler's pdftotext; form feeds split the pages)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    pages = out.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages
