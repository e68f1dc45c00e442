"""An independent HTTPS client for Backstop's emergency inbox: drives sign-in, the list, the
message pages and downloads, and prints what it saw as JSON for the Swift test to judge.

Usage: inbox_client.py PLAN.json   (see InboxEndToEndTests for the plan's keys)
"""
import base64, hashlib, hmac, http.client, json, re, ssl, struct, sys, time, urllib.parse


class Browser:
    """One client: its own cookie jar and source address."""

    def __init__(self, plan, source="127.0.0.1"):
        self.plan, self.source, self.cookies = plan, source, {}
        self.context = ssl.create_default_context(cafile=plan["ca"])
        self.context.check_hostname = False  # the test certificate names localhost

    def request(self, method, path, form=None, raw_body=None):
        connection = http.client.HTTPSConnection("127.0.0.1", self.plan["port"], context=self.context,
                                                 timeout=30, source_address=(self.source, 0))
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = raw_body
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        elapsed = time.monotonic() - started
        set_cookies = response.headers.get_all("Set-Cookie") or []
        for line in set_cookies:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in line.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        connection.close()
        return {"status": response.status, "headers": {k.lower(): v for k, v in response.getheaders()},
                "set_cookies": set_cookies, "body": data, "seconds": elapsed}

    def csrf(self, page_body):
        match = re.search(rb'name="csrf" value="([0-9a-f]{32})"', page_body)
        return match.group(1).decode() if match else None

    def login(self, username, password, totp=None, with_csrf=True):
        page = self.request("GET", "/login")
        form = {"username": username, "password": password}
        if totp is not None:
            form["totp"] = totp
        if with_csrf:
            form["csrf"] = self.csrf(page["body"])
        return self.request("POST", "/login", form=form)


def totp_code(uri, now):
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(now // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def summary(response):
    return {"status": response["status"], "headers": response["headers"], "set_cookies": response["set_cookies"],
            "body": response["body"].decode("utf-8", "replace"), "seconds": response["seconds"]}


def main():
    plan = json.load(open(sys.argv[1]))
    ids, seen = plan["ids"], {}
    ann = Browser(plan)
    seen["login_page"] = summary(ann.request("GET", "/login"))
    seen["unauthenticated_list"] = summary(ann.request("GET", "/"))
    seen["no_csrf"] = summary(ann.login(plan["ann"], plan["ann_password"], with_csrf=False))
    seen["wrong_password"] = summary(ann.login(plan["ann"], "not the password"))
    seen["unknown_user"] = summary(ann.login("nobody@example.test", "not the password"))
    seen["good_login"] = summary(ann.login(plan["ann"].upper(), plan["ann_password"]))
    seen["list"] = summary(ann.request("GET", "/"))
    seen["html_message"] = summary(ann.request("GET", "/message/" + ids["ann_html"]))
    seen["shared_message"] = summary(ann.request("GET", "/message/" + ids["shared"]))
    seen["attachment_message"] = summary(ann.request("GET", "/message/" + ids["ann_plain"]))
    eml = ann.request("GET", "/message/" + ids["ann_plain"] + ".eml")
    open(plan["eml_out"], "wb").write(eml["body"])
    seen["eml"] = summary(eml) | {"body": "", "sha256": hashlib.sha256(eml["body"]).hexdigest()}
    part = ann.request("GET", "/message/%s/part/%d" % (ids["ann_plain"], plan["attachment_part"]))
    seen["attachment"] = summary(part) | {"body": base64.b64encode(part["body"]).decode()}
    seen["other_users_message"] = summary(ann.request("GET", "/message/" + ids["bob_only"]))
    seen["other_users_eml"] = summary(ann.request("GET", "/message/" + ids["bob_only"] + ".eml"))
    seen["other_users_part"] = summary(ann.request("GET", "/message/%s/part/0" % ids["bob_only"]))
    seen["missing_message"] = summary(ann.request("GET", "/message/" + ids["missing"]))
    seen["logout_without_csrf"] = summary(ann.request("POST", "/logout", form={}))
    list_page = ann.request("GET", "/")
    session_cookie = ann.cookies.get("backstop_session")
    seen["logout"] = summary(ann.request("POST", "/logout", form={"csrf": ann.csrf(list_page["body"])}))
    seen["list_after_logout"] = summary(ann.request("GET", "/"))
    ann.cookies["backstop_session"] = session_cookie or ""
    seen["old_session_after_logout"] = summary(ann.request("GET", "/"))

    bob = Browser(plan)
    seen["bob_without_code"] = summary(bob.login(plan["bob"], plan["bob_password"]))
    bob_code = totp_code(plan["bob_totp_uri"], time.time())
    seen["bob_with_code"] = summary(bob.login(plan["bob"], plan["bob_password"], totp=bob_code))
    # The same code again, from another browser: one-time means once.
    seen["bob_replayed_code"] = summary(Browser(plan).login(plan["bob"], plan["bob_password"], totp=bob_code))
    seen["bob_list"] = summary(bob.request("GET", "/"))
    seen["oversized_form"] = summary(Browser(plan).request("POST", "/login", raw_body=b"username=" + b"a" * 20000))

    # Per user: five failures for ann from five addresses, then her right password from a sixth.
    for index in range(5):
        Browser(plan, "127.0.0.%d" % (10 + index)).login(plan["ann"], "wrong password %d" % index)
    seen["user_throttled"] = summary(Browser(plan, "127.0.0.20").login(plan["ann"], plan["ann_password"]))
    # Per client address: five failures for invented users, then bob's right password and code.
    for index in range(5):
        Browser(plan, "127.0.0.30").login("invented%d@example.test" % index, "wrong password")
    seen["client_throttled"] = summary(Browser(plan, "127.0.0.30").login(
        plan["bob"], plan["bob_password"], totp=totp_code(plan["bob_totp_uri"], time.time())))
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
