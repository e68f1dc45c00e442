#!/usr/bin/env python3
"""An SMTP dialog driven by Python's smtplib, the independent client of Backstop's end-to-end tests.

Usage: smtp_dialog.py PLAN_JSON
PLAN_JSON is a list of steps; each step is an object with "op" and the op's fields:
  connect  {port, source?}             open a session (source: local address to bind)
  ehlo     {name}                      EHLO; the result lists the advertised extensions
  starttls {}                          STARTTLS with an unverified context (self-signed cert)
  mail     {address, options?}         smtplib's MAIL FROM (options: ESMTP parameters)
  rcpt     {address, options?}         smtplib's RCPT TO
  command  {line}                      a raw command line, sent exactly as given
  data     {data}                      smtplib's DATA; data is base64 of the message, which
                                       smtplib dot-stuffs and terminates
  quit     {}
Every step prints one result object: {"op", "label"?, "code", "text"} (plus "extensions" for
ehlo, "tls_version" for starttls) or {"op", "label"?, "error"} if the client or the
connection failed; after an error the session's remaining steps are skipped up to the next
connect. The output is one JSON list on stdout.
"""
import base64
import json
import smtplib
import ssl
import sys


def main():
    steps = json.loads(sys.argv[1])
    results = []
    session = None
    broken = False
    for step in steps:
        op = step["op"]
        result = {"op": op}
        if "label" in step:
            result["label"] = step["label"]
        if op != "connect" and (session is None or broken):
            result["error"] = "skipped: no session"
            results.append(result)
            continue
        try:
            if op == "connect":
                if session is not None:
                    try:
                        session.close()
                    except Exception:
                        pass
                source = (step["source"], 0) if step.get("source") else None
                # Connecting in the constructor (not with connect()) is what makes smtplib
                # remember the host, which starttls() needs; it raises unless the greeting is 220.
                session = smtplib.SMTP("127.0.0.1", step["port"], timeout=10, source_address=source)
                code, text = 220, "greeting accepted by smtplib"
                broken = False
            elif op == "ehlo":
                code, text = session.ehlo(step["name"])
                result["extensions"] = sorted(name.upper() for name in session.esmtp_features)
            elif op == "starttls":
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                code, text = session.starttls(context=context)
                result["tls_version"] = session.sock.version()
            elif op == "mail":
                code, text = session.mail(step["address"], step.get("options", []))
            elif op == "rcpt":
                code, text = session.rcpt(step["address"], step.get("options", []))
            elif op == "command":
                code, text = session.docmd(step["line"])
            elif op == "data":
                code, text = session.data(base64.b64decode(step["data"]))
            elif op == "quit":
                code, text = session.quit()
                session = None
            else:
                raise ValueError("unknown op " + op)
            result["code"] = code
            result["text"] = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        except smtplib.SMTPResponseException as error:
            # e.g. DATA answered with something other than 354
            result["code"] = error.smtp_code
            result["text"] = error.smtp_error.decode("utf-8", "replace")
        except Exception as error:
            result["error"] = "%s: %s" % (type(error).__name__, error)
            broken = True
        results.append(result)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
