#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ABI rule 1: a plugin module exports exactly one dynamic symbol,
# vtc_plugin_entry (its version script hides everything else, including the
# C++ templates and inline functions it was built with).
# usage: exports_test.sh NM PLUGIN.so
set -euo pipefail
nm_tool=$1
plugin=$2
symbols=$("$nm_tool" -D --defined-only "$plugin" | awk '{print $NF}' | sort -u)
if [ "$symbols" != "vtc_plugin_entry" ]; then
    echo "FAIL $(basename "$plugin") exports: $(tr '\n' ' ' <<<"$symbols")" >&2
    exit 1
fi
echo "PASS $(basename "$plugin") exports exactly vtc_plugin_entry"
