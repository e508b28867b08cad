#!/usr/bin/env bash
# Spark needs a Java 17+ runtime. Install Debian's when we can, otherwise say exactly what to do.
set -euo pipefail
major() { "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'; }
if command -v java >/dev/null 2>&1 && [ "$(major java)" -ge 17 ] 2>/dev/null; then exit 0; fi
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(major "$JAVA_HOME/bin/java")" -ge 17 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "No Java 17+ found: installing Debian's openjdk-17-jre-headless ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
  java -version 2>&1 | head -1
  exit 0
fi
echo "error: Spark needs a Java 17 runtime and none was found on PATH or in JAVA_HOME." >&2
echo "  Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless" >&2
echo "  macOS:         brew install openjdk@17   (then set JAVA_HOME)" >&2
exit 1
