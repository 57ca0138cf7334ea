#!/usr/bin/env python3
"""Loads a SwiftGAN dashboard in headless Chromium (DevTools protocol) and waits until the page
says, in attributes of <body>, that it shows the wanted number of workers, a loaded grid image
and curve points; then saves a screenshot and prints the attributes as JSON.

usage: browser_check.py URL SCREENSHOT.png WORKERS TIMEOUT_S [MIN_POINTS]
(MIN_POINTS, default 2: curve points to wait for; more gives a fuller picture for the docs.)
exit 0: all seen; 1: timed out (the last attributes are printed); 2: set-up problem.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    import websocket  # websocket-client
except ImportError:
    print("SKIP: the Python package websocket-client is missing (pip install websocket-client)")
    sys.exit(2)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    url, shot, workers, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    min_points = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        print("SKIP: no chromium on PATH (apt-get install chromium)")
        return 2
    port = free_port()
    profile = tempfile.mkdtemp(prefix="swiftgan-chromium-")
    browser = subprocess.Popen(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--remote-allow-origins=*", f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
         "--window-size=1400,1000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ws_url = None
        deadline = time.time() + 30
        while time.time() < deadline and ws_url is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                    if pages:
                        ws_url = pages[0]["webSocketDebuggerUrl"]
            except OSError:
                time.sleep(0.2)
        if ws_url is None:
            print("chromium did not open its DevTools port within 30 s")
            return 2
        ws = websocket.create_connection(ws_url, timeout=30)
        ids = iter(range(1, 1 << 30))

        def call(method, **params):
            i = next(ids)
            ws.send(json.dumps({"id": i, "method": method, "params": params}))
            while True:
                msg = json.loads(ws.recv())
                if msg.get("id") == i:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    return msg.get("result", {})

        call("Page.enable")
        call("Page.navigate", url=url)
        attrs = {}
        deadline = time.time() + timeout
        ok = False
        while time.time() < deadline:
            res = call("Runtime.evaluate", returnByValue=True,
                       expression="JSON.stringify(Object.assign({}, document.body ? document.body.dataset : {}, "
                                  "{polylinePoints: Array.from(document.querySelectorAll('svg polyline'))"
                                  ".map(p => p.getAttribute('points').split(' ').filter(s => s).length),"
                                  " gridNaturalWidth: (document.getElementById('grid') || {}).naturalWidth || 0,"
                                  " workerRows: document.querySelectorAll('#workers tbody tr').length}))")
            attrs = json.loads(res.get("result", {}).get("value") or "{}")
            if (attrs.get("ready") == "1" and int(attrs.get("workers", "0")) >= workers
                    and attrs.get("gridLoaded") == "1" and int(attrs.get("points", "0")) >= min_points
                    and attrs.get("gridNaturalWidth", 0) > 0):
                ok = True
                break
            time.sleep(0.5)
        # Let the charts settle on the latest state before the picture.
        time.sleep(0.3)
        png = call("Page.captureScreenshot", format="png")["data"]
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png))
        print(json.dumps(attrs))
        ws.close()
        return 0 if ok else 1
    finally:
        browser.terminate()
        try:
            browser.wait(10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
