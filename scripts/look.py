#!/usr/bin/env python3
"""Look at the running product as a resident would: log in through the real form in headless
Chromium (via chromedriver's WebDriver API, standard library only) and save screenshots.

  python3 scripts/look.py --url http://127.0.0.1:8080 --user alice@demo.ppt --out /tmp/shots / /messages

Each path is opened in turn after login; WAIT seconds pass before each screenshot so live
updates can arrive.
"""
import argparse, base64, json, os, socket, subprocess, sys, time, urllib.request


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}").get("value")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--user", default="alice@demo.ppt")
    p.add_argument("--password", default="demo1234")
    p.add_argument("--out", default="/tmp/ppt-look")
    p.add_argument("--wait", type=float, default=2.0)
    p.add_argument("--width", type=int, default=1280, help="window width in CSS pixels (390: a phone)")
    p.add_argument("--js", help="JavaScript to run on each page after the wait; its value is printed")
    p.add_argument("paths", nargs="*", default=["/"])
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    driver = subprocess.Popen([os.environ.get("CHROMEDRIVER", "chromedriver"), f"--port={port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status"); break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": os.environ.get("CHROME_BIN", "/usr/bin/chromium"),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking", f"--window-size={a.width},860"]}}}}
        sid = call(base, "POST", "/session", caps)["sessionId"]
        sess = f"/session/{sid}"

        def find(testid):
            for _ in range(200):
                try:
                    el = call(base, "POST", sess + "/element", {"using": "css selector", "value": f'[data-testid="{testid}"]'})
                    return list(el.values())[0]
                except urllib.error.HTTPError:
                    time.sleep(0.05)
            sys.exit(f"no element {testid}")

        call(base, "POST", sess + "/url", {"url": a.url + "/login"})
        call(base, "POST", f"{sess}/element/{find('login-email')}/value", {"text": a.user})
        call(base, "POST", f"{sess}/element/{find('login-password')}/value", {"text": a.password})
        call(base, "POST", f"{sess}/element/{find('login-submit')}/click", {})
        find("dashboard")
        for i, path in enumerate(a.paths):
            if path != "/":
                call(base, "POST", sess + "/execute/sync", {
                    "script": "history.pushState({}, '', arguments[0]); dispatchEvent(new PopStateEvent('popstate'));",
                    "args": [path]})
            time.sleep(a.wait)
            if a.js:
                print(path, json.dumps(call(base, "POST", sess + "/execute/sync", {"script": a.js, "args": []})))
            png = base64.b64decode(call(base, "GET", sess + "/screenshot"))
            name = os.path.join(a.out, f"{i:02d}{path.replace('/', '_') or '_'}.png")
            open(name, "wb").write(png)
            print(name)
        call(base, "DELETE", sess)
    finally:
        driver.kill()


if __name__ == "__main__":
    main()
