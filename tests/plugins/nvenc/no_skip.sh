#!/bin/sh
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs a test command and reports its skip (exit 77) as a failure: against the
# emulated driver the encoders must be usable.
"$@"
status=$?
if [ "$status" -eq 77 ]; then
    echo "no usable encoder: the emulated NVENC driver was not picked up (a skip is a failure here)" >&2
    exit 1
fi
exit "$status"
