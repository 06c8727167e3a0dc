"""Post the deploy result to Discord (spec 5.1, job 3), when a webhook is configured.

    DISCORD_WEBHOOK_URL=... python3 tools/ops/notify_discord.py --result staging=success --result prod=skipped \\
        --commit <sha> --run-url <url>

Standard library only (the deploy workflow's notify job installs nothing). Without
``DISCORD_WEBHOOK_URL`` it says so and exits 0; the webhook URL is a secret and is never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

GREEN, RED, GREY = 0x2ECC71, 0xE74C3C, 0x95A5A6


def build_message(results: dict[str, str], commit: str, run_url: str) -> dict:
    failed = [stack for stack, result in results.items() if result in ("failure", "cancelled")]
    deployed = all(result == "success" for result in results.values())
    if failed:
        emoji, status, color = "❌", "failed", RED
    elif deployed:
        emoji, status, color = "✅", "succeeded", GREEN
    else:
        emoji, status, color = "⏸️", "stopped", GREY  # e.g. prod waiting for approval or skipped
    return {"embeds": [{
        "title": f"{emoji} Tiketi infrastructure deploy {status}",
        "color": color,
        "url": run_url,
        "fields": [{"name": stack, "value": result, "inline": True} for stack, result in results.items()]
                  + [{"name": "commit", "value": commit[:7], "inline": True},
                     {"name": "run", "value": run_url, "inline": False}],
    }]}


def post(webhook_url: str, message: dict, timeout: float = 10.0) -> None:
    if not webhook_url.startswith(("https://", "http://")):
        raise ValueError("DISCORD_WEBHOOK_URL is not an http(s) URL")
    request = urllib.request.Request(webhook_url, data=json.dumps(message).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json", "User-Agent": "tiketi-deploy"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        response.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--result", action="append", default=[], help="stack=result (success, failure, ...)")
    parser.add_argument("--commit", required=True)
    parser.add_argument("--run-url", required=True)
    options = parser.parse_args(argv)
    results = {}
    for item in options.result:
        stack, separator, result = item.partition("=")
        if not separator or not stack:
            print(f"notify: --result {item!r} is not stack=result", file=sys.stderr)
            return 2
        results[stack] = result or "skipped"
    webhook_url = os.environ.get("DISCORD_WEBHOOK_URL", "").strip()
    if not webhook_url:
        print("notify: DISCORD_WEBHOOK_URL is not set; no Discord message sent")
        return 0
    message = build_message(results, options.commit, options.run_url)
    try:
        post(webhook_url, message)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        reason = getattr(error, "reason", error)
        print(f"notify: Discord did not take the message: {reason}", file=sys.stderr)
        return 1
    print(f"notify: sent '{message['embeds'][0]['title']}' to Discord")
    return 0


if __name__ == "__main__":
    sys.exit(main())
