#!/usr/bin/env bash
# System programs the tests need beyond Python: Java 17 (java, javac, jar) to run a real Flink cluster and compile
# the test job, openssl to make the certificates of the TLS tests, and Maven to build the policy tests' oracle. Installs Debian's packages when missing and
# we are root; otherwise says how to install them.
set -euo pipefail
have_java17() {
  command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 && command -v jar >/dev/null 2>&1 &&
    java -version 2>&1 | head -n1 | grep -qE '"17(\.|")'
}
missing=()
have_java17 || missing+=(openjdk-17-jdk-headless)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
status=0
if ! have_java17; then
  echo "error: Java 17 (java, javac, jar) is required for the Flink tests: 'sudo apt-get install openjdk-17-jdk-headless'" >&2
  echo "       (or put a JDK 17 on PATH / set JAVA_HOME)." >&2
  status=1
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "error: openssl is required for the TLS tests: 'sudo apt-get install openssl'" >&2
  status=1
fi
if ! command -v mvn >/dev/null 2>&1; then
  echo "error: Maven is required to build the policy tests' validator oracle: 'sudo apt-get install maven'" >&2
  status=1
fi
exit $status
