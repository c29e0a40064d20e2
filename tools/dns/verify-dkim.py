#!/usr/bin/python3
"""Verifies every DKIM signature of the given .eml files with dkimpy (Debian's python3-dkim),
fetching the public keys from one DNS server (python3-dnspython) instead of the system resolver.

    /usr/bin/python3 tools/dns/verify-dkim.py --server 127.0.0.1:5353 a.eml b.eml

Prints one JSON document: {"files": [{"file", "signatures": [{"index", "domain", "selector",
"algorithm", "verified", "error"}]}], "queries": [names looked up]}. Exits 0 whatever the
verdicts (the caller asserts on them); 2 on bad arguments.

Run it with Debian's /usr/bin/python3: the pyenv python3 first on PATH has neither module.
"""
import argparse
import json
import sys

import dkim
import dns.resolver


def txt_lookup(server, port, queries):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server]
    resolver.port = port

    def dnsfunc(name, timeout=5):
        name = name.decode('ascii') if isinstance(name, bytes) else name
        queries.append(name.rstrip('.'))
        try:
            answer = resolver.resolve(name, 'TXT', lifetime=timeout, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        # One TXT record made of several character-strings is one record: they are concatenated.
        return b''.join(next(iter(answer)).strings)

    return dnsfunc


def tag(signature, name):
    for key, value in dkim.util.parse_tag_value(signature).items():
        if key == name:
            return value.decode('ascii', 'replace')
    return None


def verify_file(path, dnsfunc):
    with open(path, 'rb') as handle:
        message = handle.read()
    checker = dkim.DKIM(message)
    headers = [value for name, value in checker.headers if name.lower() == b'dkim-signature']
    signatures = []
    for index, header in enumerate(headers):
        result = {
            'index': index,
            'domain': tag(header, b'd'),
            'selector': tag(header, b's'),
            'algorithm': tag(header, b'a'),
            'verified': False,
            'error': None,
        }
        try:
            result['verified'] = bool(checker.verify(idx=index, dnsfunc=dnsfunc))
        except dkim.DKIMException as error:
            result['error'] = str(error)
        if not result['verified'] and result['error'] is None:
            result['error'] = 'signature did not verify'
        signatures.append(result)
    return {'file': path, 'signatures': signatures}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--server', required=True, help='DNS server as host:port')
    parser.add_argument('files', nargs='+')
    args = parser.parse_args()
    host, _, port = args.server.rpartition(':')
    if not host or not port.isdigit():
        parser.error('--server must be host:port')
    queries = []
    dnsfunc = txt_lookup(host, int(port), queries)
    report = {'files': [verify_file(path, dnsfunc) for path in args.files], 'queries': queries}
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
