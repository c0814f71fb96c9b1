#!/bin/bash
# Launcher of the benchmark's poke-to-start samples: appends "ID START_NS" (wall
# clock, nanoseconds, microsecond resolution) to the file named by $2. No other
# process is forked, so the time recorded is when the launcher began to run.
printf '%s %s000\n' "$1" "${EPOCHREALTIME/./}" >>"$2"
