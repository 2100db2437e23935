#!/bin/sh
# Makes the secrets compose.yaml mounts, in deploy/secrets/ (never committed), once: a file that
# exists is kept, so running it again changes nothing. Needs openssl.
#
# The folder is the owner's alone (0700); the files in it are 0644, because compose mounts each
# file as it is and the service runs as its own user (uid 10001), which must read them.
set -eu
cd "$(dirname "$0")"
mkdir -p secrets
chmod 0700 secrets
umask 022
secret() {  # secret NAME COMMAND...: write the command's output to secrets/NAME unless it exists
  name=$1
  shift
  if [ -e "secrets/$name" ]; then
    echo "kept    secrets/$name"
  else
    "$@" > "secrets/$name.new"
    mv "secrets/$name.new" "secrets/$name"
    echo "made    secrets/$name"
  fi
}
secret postgres_password openssl rand -hex 24
secret toshav_database_url sh -c 'printf "postgresql://toshav:%s@postgres:5432/toshav\n" "$(cat secrets/postgres_password)"'
secret toshav_id_hash_key openssl rand -hex 32
secret toshav_credential_key openssl rand -hex 32
secret toshav_access_token_key openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256
secret toshav_metrics_token openssl rand -hex 32
