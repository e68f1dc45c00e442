"""scripts/bench as a package: Backstop against Postfix on one machine, and Backstop's replay under callgrind.

system.py        constants, process/port helpers, Postfix install, Backstop build
servers.py       smtp-sink (the primary), Backstop, a private Postfix instance
measurements.py  accept throughput/latency/memory, big messages, replay
report.py        the markdown table with Backstop/Postfix ratios
callgrind.py     instructions per replayed message (valgrind --tool=callgrind)
checks.py        Backstop with SPF, DKIM, DMARC, a DNS list and rspamd on: DNS server, DKIM signer
postgres.py      a private PostgreSQL cluster, Backstop on [spool] url, two nodes on one spool
cli.py           options and the order of the runs
"""
