"""The inbox's session expiry and list paging, driven over HTTPS with inbox_client's Browser.

Usage: inbox_session_client.py PLAN.json   (see InboxSessionTests for the plan's keys)
  plan["mode"] == "expiry": sign in, read the list, then read it again until the server
      redirects to /login (polling, up to plan["deadline"] seconds); prints when that came.
  plan["mode"] == "paging": sign in and read pages 1 and 2 of the list; prints the message
      links of each page in order.
  plan["mode"] == "journal": sign in, read the list and plan["journal_id"]'s page; then as
      plan["other"] (with plan["other_password"] and the code of plan["other_totp_uri"]) read
      the same page.
"""
import json, re, sys, time

from inbox_client import Browser, summary, totp_code


def links(page):
    return re.findall(r'href="/message/([0-9A-Z]{12})"', page["body"].decode("utf-8", "replace"))


def main():
    plan = json.load(open(sys.argv[1]))
    browser, seen = Browser(plan), {}
    signed_in = time.monotonic()
    seen["login"] = summary(browser.login(plan["user"], plan["password"]))
    if plan["mode"] == "expiry":
        seen["fresh"] = summary(browser.request("GET", "/"))
        polls, deadline = 0, signed_in + plan["deadline"]
        while True:
            polls += 1
            response = browser.request("GET", "/")
            if response["status"] != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        seen["expired"] = summary(response) | {"after_sign_in": time.monotonic() - signed_in, "polls": polls}
        seen["login_page"] = summary(browser.request("GET", "/login"))
    elif plan["mode"] == "journal":
        page = browser.request("GET", "/")
        seen["list"] = summary(page) | {"links": links(page)}
        seen["journal_message"] = summary(browser.request("GET", "/message/" + plan["journal_id"]))
        other = Browser(plan)
        seen["other_login"] = summary(other.login(plan["other"], plan["other_password"],
                                                  totp=totp_code(plan["other_totp_uri"], time.time())))
        seen["other_journal_message"] = summary(other.request("GET", "/message/" + plan["journal_id"]))
        seen["other_list"] = summary(other.request("GET", "/"))
    else:
        for number in (1, 2):
            page = browser.request("GET", "/?page=%d" % number)
            seen["page%d" % number] = summary(page) | {"links": links(page)}
    json.dump(seen, sys.stdout)


main()
