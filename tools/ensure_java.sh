#!/usr/bin/env bash
# Make sure Java 17 (java + javac) is on PATH: the real-Flink tests run a Flink cluster and compile a job.
# Installs Debian's openjdk-17-jdk-headless when missing and we are root; otherwise says how to install it.
set -euo pipefail
have_java17() {
  command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 &&
    java -version 2>&1 | head -n1 | grep -qE '"17(\.|")'
}
if have_java17; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Java 17 not found: installing openjdk-17-jdk-headless with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
fi
if ! have_java17; then
  echo "error: Java 17 (java and javac) is required for the Flink tests." >&2
  echo "       Install it, e.g. 'sudo apt-get install openjdk-17-jdk-headless', or set PATH/JAVA_HOME to a JDK 17." >&2
  exit 1
fi
