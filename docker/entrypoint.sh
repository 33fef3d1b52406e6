#!/bin/sh
# The image's entrypoint: runs a Spillway command with the JVM options bin/spillway gives it
# (/app/jvm/<service>.options for edge, bridge and delivery, tool.options for the rest; sizing in
# README "JVM options"), then $SPILLWAY_JAVA_OPTS, which wins (e.g. "-Xmx1g" for a delivery that
# sends many large events at once).
set -eu
options=tool
case "${1:-}" in edge|bridge|delivery) options="$1" ;; esac
# shellcheck disable=SC2086
exec java "@/app/jvm/$options.options" ${SPILLWAY_JAVA_OPTS:-} -cp "/app/classes:/app/lib/*" io.spillway.launcher.Spillway "$@"
