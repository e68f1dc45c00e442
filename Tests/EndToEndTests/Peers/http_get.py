#!/usr/bin/env python3
"""GET a URL with Python's urllib, an HTTP client independent of Backstop's.

Usage: http_get.py URL [BEARER_TOKEN]. Prints one JSON object: status, content_type, the
headers (lowercased names) and the body as text.
"""
import json
import sys
import urllib.error
import urllib.request

request = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    request.add_header("Authorization", "Bearer " + sys.argv[2])
try:
    with urllib.request.urlopen(request, timeout=20) as response:
        status, headers, body = response.status, response.headers, response.read()
except urllib.error.HTTPError as error:
    status, headers, body = error.code, error.headers, error.read()
print(json.dumps({
    "status": status,
    "content_type": headers.get("Content-Type", ""),
    "headers": {name.lower(): value for name, value in headers.items()},
    "body": body.decode("utf-8", "replace"),
}))
