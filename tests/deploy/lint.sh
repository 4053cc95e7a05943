#!/usr/bin/env bash
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Linters for the deployment files:
#   lint.sh yaml SOURCE_ROOT    yamllint (strict: warnings fail) over k8s/ with .yamllint
#   lint.sh shell SOURCE_ROOT   bash -n / sh -n and shellcheck over every script in
#                               containers/, k8s/scripts/ and tests/deploy/
set -euo pipefail
what=${1:?usage: lint.sh yaml|shell SOURCE_ROOT}
cd "${2:?usage: lint.sh yaml|shell SOURCE_ROOT}"

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "lint: '$1' not found; install it with scripts/install-deps.sh" >&2
        exit 1
    }
}

passed=0
failed=0
case $what in
    yaml)
        need yamllint
        mapfile -t files < <(find k8s -name '*.yaml' -o -name '*.yml' | sort)
        [ ${#files[@]} -gt 0 ] || { echo "lint: no YAML files under k8s/" >&2; exit 1; }
        # One yamllint run (its start-up dominates), reported per file.
        status=0
        out=$(yamllint --strict -f parsable -c .yamllint .yamllint "${files[@]}" 2>&1) || status=$?
        if [ "$status" -ne 0 ] && [ -z "$out" ]; then
            echo "lint: yamllint failed (exit $status) without a report" >&2
            exit 1
        fi
        for f in .yamllint "${files[@]}"; do
            problems=$(printf '%s\n' "$out" | awk -v f="$f:" 'index($0, f) == 1')
            if [ -z "$problems" ]; then
                echo "PASS: yamllint $f"
                passed=$((passed + 1))
            else
                echo "FAIL: yamllint $f"
                echo "$problems"
                failed=$((failed + 1))
            fi
        done
        # Anything reported that is not attributed to a file above.
        if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
            echo "FAIL: yamllint exit $status: $out"
            failed=$((failed + 1))
        fi
        ;;
    shell)
        need shellcheck
        mapfile -t files < <(find containers k8s/scripts tests/deploy -name '*.sh' | sort)
        [ ${#files[@]} -gt 0 ] || { echo "lint: no shell scripts found" >&2; exit 1; }
        for f in "${files[@]}"; do
            problems=""
            case $(head -n1 "$f") in
                '#!/bin/sh') syntax=(sh -n) ;;
                '#!/usr/bin/env bash' | '#!/bin/bash') syntax=(bash -n) ;;
                *) syntax=(false); problems="no #!/bin/sh or bash shebang; " ;;
            esac
            # POSIX scripts must also parse as bash (the backup image's /bin/sh may be either).
            "${syntax[@]}" "$f" 2>/dev/null || problems+="$("${syntax[@]}" "$f" 2>&1 | head -n3); "
            bash -n "$f" 2>/dev/null || problems+="bash -n: $(bash -n "$f" 2>&1 | head -n3); "
            sc=$(shellcheck --external-sources --severity=style "$f" 2>&1) || problems+=$'\n'"$sc"
            [ -x "$f" ] || problems+="not executable; "
            grep -q 'SPDX-License-Identifier' "$f" || problems+="no SPDX header; "
            if [ -z "$problems" ]; then
                echo "PASS: ${syntax[*]} + shellcheck $f"
                passed=$((passed + 1))
            else
                echo "FAIL: $f: $problems"
                failed=$((failed + 1))
            fi
        done
        ;;
    *)
        echo "usage: lint.sh yaml|shell SOURCE_ROOT" >&2
        exit 2
        ;;
esac
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
