#!/usr/bin/python3
"""Adds up JUnit XML results (gtest via Bazel, pytest) and prints the closing line:

    N passed, N failed[, N skipped]

Usage: test_summary.py FILE_OR_DIR...   (directories are searched for test.xml / *.xml)
Exit status: 1 when any test failed or errored, or when no test ran at all.
"""

import os
import sys
import xml.etree.ElementTree as ET


def xml_files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p, followlinks=True):
                for f in files:
                    if f.endswith(".xml"):
                        yield os.path.join(root, f)
        elif os.path.exists(p):
            yield p


def main():
    passed = failed = skipped = 0
    failures = []
    for path in xml_files(sys.argv[1:]):
        try:
            tree = ET.parse(path)
        except ET.ParseError:
            failed += 1
            failures.append("%s (unreadable result file)" % path)
            continue
        for case in tree.iter("testcase"):
            name = "%s.%s" % (case.get("classname", ""), case.get("name", ""))
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                failures.append(name)
            elif case.find("skipped") is not None or case.get("result") == "skipped" \
                    or case.get("status") == "notrun":
                skipped += 1
            else:
                passed += 1
    for f in failures[:50]:
        print("FAILED: %s" % f)
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    sys.exit(1 if failed or passed == 0 else 0)


if __name__ == "__main__":
    main()
