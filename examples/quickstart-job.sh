#!/bin/sh
# The launcher of `deno task quickstart`: jobd runs `quickstart-job.sh ID` for each job,
# without a shell, in `launcher.cwd`. A real launcher would read row ID from the jobs table
# and do that job's work; this one takes a short nap and says what it did. What it prints
# ends up in the row's `stdout` and `stderr`; its exit code decides `result` (0 = ok).
id=$1
if [ -f "fail-once-$id" ]; then   # the quick start's retried job: fail its first attempt
  rm "fail-once-$id"
  echo "job $id: failing on purpose, exit code 75" >&2
  exit 75
fi
nap="0.$(( (id * 37) % 7 + 2 ))"   # 0.2 to 0.8 seconds, different from job to job
sleep "$nap"
echo "job $id: napped $nap s"
