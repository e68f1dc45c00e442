#!/usr/bin/env python3
"""Converts the OpenSPF RFC 7208 test suite (YAML, shipped in pyspf's sdist) to the JSON the
Swift tests read. It keeps the test driver's zone conventions (pyspf's testspf.py): an SPF
record is also served as TXT unless the name has TXT records of its own, "TXT: NONE" means
no TXT, and a bare TIMEOUT makes queries for types the name lacks time out.

usage: spf_suite_to_json.py rfc7208-tests.yml out.json
"""
import json
import sys

import yaml


def zone(data):
    result = {}
    for name, records in data.items():
        entry = {"TXT": [], "A": [], "AAAA": [], "MX": [], "PTR": [], "CNAME": None, "TIMEOUT": False}
        generated, own_txt = [], False
        for record in records:
            if record == "TIMEOUT":
                entry["TIMEOUT"] = True
                continue
            for rtype, value in record.items():
                if rtype in ("TXT", "SPF"):
                    strings = [value] if isinstance(value, str) else list(value)
                    if rtype == "TXT":
                        own_txt = True
                        if strings != ["NONE"]:
                            entry["TXT"].append([list(s.encode("utf-8")) for s in strings])
                    else:
                        generated.append([list(s.encode("utf-8")) for s in strings])
                elif rtype == "MX":
                    entry["MX"].append([int(value[0]), value[1]])
                elif rtype == "CNAME":
                    entry["CNAME"] = value
                else:
                    entry[rtype].append(value)
        if not own_txt:
            entry["TXT"] += generated
        result[name.lower()] = entry
    return result


def main():
    source, target = sys.argv[1], sys.argv[2]
    scenarios = []
    with open(source, "rb") as handle:
        for scenario in yaml.safe_load_all(handle):
            tests = []
            for test_id, test in scenario["tests"].items():
                result = test["result"]
                tests.append({
                    "id": test_id,
                    "spec": str(test.get("spec", "")),
                    "helo": test["helo"],
                    "host": test["host"],
                    "mailfrom": test["mailfrom"],
                    "results": [result] if isinstance(result, str) else list(result),
                    "explanation": test.get("explanation"),
                })
            scenarios.append({"description": scenario.get("description", ""), "zone": zone(scenario["zonedata"]), "tests": tests})
    with open(target, "w") as handle:
        json.dump(scenarios, handle)


if __name__ == "__main__":
    main()
