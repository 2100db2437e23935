#!/bin/sh
# Secrets from files: for every TOSHAV_<NAME>_FILE in the environment, the file's content (a mounted
# secret, e.g. /run/secrets/toshav_access_token_key) becomes TOSHAV_<NAME>, and the _FILE variable
# is dropped. A named file that cannot be read stops the container before the service starts.
set -eu
for variable in $(env | sed -n 's/^\(TOSHAV_[A-Z0-9_]*\)_FILE=.*$/\1/p'); do
  file=$(printenv "${variable}_FILE")
  if [ ! -r "$file" ]; then
    echo "toshav-entrypoint: ${variable}_FILE names $file, which cannot be read" >&2
    exit 1
  fi
  value=$(cat "$file")
  export "$variable=$value"
  unset "${variable}_FILE"
done
exec "$@"
