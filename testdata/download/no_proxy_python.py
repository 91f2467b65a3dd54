#!/usr/bin/env python3
"""Writes no_proxy_python.tsv: for each (no_proxy value, host, port), whether CPython's
urllib.request.proxy_bypass_environment bypasses the proxy. EnvironmentProxySelectorTest checks
that sdmodel agrees on every row.

Run: python3 testdata/download/no_proxy_python.py > testdata/download/no_proxy_python.tsv
"""
import sys
import urllib.request

NO_PROXY = [
    "example.com",
    ".example.com",
    "EXAMPLE.com",
    "example.com:8080",
    "localhost,127.0.0.1",
    " example.com , other.org ",
    "huggingface.co",
    "cdn-lfs.huggingface.co",
    "co",
    "xample.com",
    "..example.com",
    "*",
    "internal,.corp.local",
    "10.0.0.1",
]
HOSTS = [
    ("example.com", 443),
    ("www.example.com", 443),
    ("www.example.com", 8080),
    ("example.com", 8080),
    ("notexample.com", 443),
    ("example.com.org", 443),
    ("WWW.Example.COM", 443),
    ("huggingface.co", 443),
    ("cdn-lfs.huggingface.co", 443),
    ("cas-bridge.xethub.hf.co", 443),
    ("localhost", 80),
    ("127.0.0.1", 8000),
    ("other.org", 443),
    ("a.b.corp.local", 443),
    ("internal", 80),
    ("internal.net", 80),
    ("10.0.0.1", 80),
    ("10.0.0.10", 80),
]

print("# no_proxy\thost\tport\tbypass  (CPython %s, urllib.request.proxy_bypass_environment)"
      % sys.version.split()[0])
for no_proxy in NO_PROXY:
    for host, port in HOSTS:
        bypass = urllib.request.proxy_bypass_environment("%s:%d" % (host, port), {"no": no_proxy})
        print("%s\t%s\t%d\t%s" % (no_proxy, host, port, "true" if bypass else "false"))
