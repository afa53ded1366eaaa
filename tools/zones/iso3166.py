#!/usr/bin/env python3
"""Writes crates/detect/data/iso3166.csv (alpha3,alpha2,name) from the PyPI package pycountry."""
import sys

import pycountry

out = open(sys.argv[1], "w", encoding="utf-8", newline="\n")
out.write("alpha3,alpha2,name\n")
for c in sorted(pycountry.countries, key=lambda c: c.alpha_3):
    out.write(f"{c.alpha_3},{c.alpha_2},{c.name.replace(',', '')}\n")
