#!/usr/bin/env python3
"""dkimpy as an independent DKIM and ARC peer for the MailAuth tests.

  dkim_peer.py sign MESSAGE KEY SELECTOR DOMAIN ALGORITHM HEADER/BODY
      prints the DKIM-Signature field dkimpy makes (KEY: PEM for RSA, base64 seed for Ed25519)
  dkim_peer.py rsa-key BITS KEYFILE
      writes an RSA key of any size (512 and 768 too, for refusal tests) with openssl and
      prints its key record
  dkim_peer.py verify MESSAGE ZONE
      prints one line per signature: "pass" or "fail"
  dkim_peer.py arc-sign MESSAGE KEY SELECTOR DOMAIN AUTHSERV-ID
      prints the three ARC fields dkimpy adds (ARC-Seal first)
  dkim_peer.py arc-verify MESSAGE ZONE
      prints the chain validation result (pass, fail, none) and dkimpy's reason

ZONE is a JSON object mapping names (without trailing dot) to TXT record text; nothing here
touches the real DNS.
"""
import base64
import json
import subprocess
import sys

import dkim


def zone_lookup(path):
    with open(path) as handle:
        zone = {name.lower().rstrip("."): text for name, text in json.load(handle).items()}

    def dnsfunc(name, timeout=5):
        text = zone.get(name.decode("ascii").lower().rstrip("."))
        return text.encode("ascii") if text is not None else None

    return dnsfunc


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "sign":
        message, key, selector, domain, algorithm, canonicalization = args[:6]
        header, body = canonicalization.split("/")
        field = dkim.sign(read(message), selector.encode(), domain.encode(), read(key).strip(),
                          canonicalize=(header.encode(), body.encode()), signature_algorithm=algorithm.encode(),
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                          length="length" in args[6:])
        sys.stdout.buffer.write(field)
    elif command == "rsa-key":
        bits, path = args
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", path, bits], check=True, capture_output=True)
        der = subprocess.run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"], check=True, capture_output=True).stdout
        print("v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode())
    elif command == "verify":
        message, zone = args
        dnsfunc = zone_lookup(zone)
        signer = dkim.DKIM(read(message))
        count = len([h for h in signer.headers if h[0].lower() == b"dkim-signature"])
        for index in range(count):
            print("pass" if signer.verify(idx=index, dnsfunc=dnsfunc) else "fail")
    elif command == "arc-sign":
        message, key, selector, domain, authserv_id = args
        fields = dkim.arc_sign(read(message), selector.encode(), domain.encode(), read(key).strip(), authserv_id.encode())
        sys.stdout.buffer.write(b"".join(fields))
    elif command == "arc-verify":
        message, zone = args
        cv, results, reason = dkim.arc_verify(read(message), dnsfunc=zone_lookup(zone))
        print(cv.decode(), reason)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
