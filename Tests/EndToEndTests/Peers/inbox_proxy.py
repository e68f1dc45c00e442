"""Signs in to Backstop's emergency inbox over HTTPS, then serves plain HTTP on loopback and
passes every GET on with the session cookie, so that headless Chromium (which takes no
cookies on its command line) can draw the signed-in pages exactly as the inbox sends them.

Usage: inbox_proxy.py INBOX_PORT CA_FILE USERNAME PASSWORD
Prints "proxy listening on PORT", then serves until killed.
"""
import http.client, http.server, re, ssl, sys, urllib.parse

port, ca, username, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
context = ssl.create_default_context(cafile=ca)
context.check_hostname = False


def fetch(method, path, headers=None, body=None):
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


response, page = fetch("GET", "/login")
login_cookie = response.getheader("Set-Cookie").split(";", 1)[0]
token = re.search(rb'name="csrf" value="([0-9a-f]{32})"', page).group(1).decode()
form = urllib.parse.urlencode({"username": username, "password": password, "csrf": token})
response, _ = fetch("POST", "/login", {"Cookie": login_cookie, "Content-Type": "application/x-www-form-urlencoded"}, form)
session = [c for c in response.headers.get_all("Set-Cookie") if c.startswith("backstop_session=")][0].split(";", 1)[0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        upstream, body = fetch("GET", self.path, {"Cookie": session})
        self.send_response(upstream.status)
        for name, value in upstream.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "strict-transport-security"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print("proxy listening on %d" % server.server_address[1], flush=True)
server.serve_forever()
