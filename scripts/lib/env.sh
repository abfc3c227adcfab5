# Shared by every script: where things live and which loopback ports the
# local stack uses. Each value can be overridden from the environment.
# Sourced, never executed.

CS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CS_VAR=${CLICKSTREAM_VAR:-$CS_ROOT/var}
CS_BUILD=${CLICKSTREAM_BUILD_DIR:-$CS_ROOT/build}

CS_KAFKA_VERSION=3.9.1
CS_KAFKA_PORT=${CLICKSTREAM_KAFKA_PORT:-19092}
CS_KAFKA_CONTROLLER_PORT=${CLICKSTREAM_KAFKA_CONTROLLER_PORT:-19093}
CS_KAFKA_BOOTSTRAP=127.0.0.1:$CS_KAFKA_PORT
CS_KAFKA_LIBS=$CS_VAR/kafka/libs
CS_TOPIC_PARTITIONS=${CLICKSTREAM_PARTITIONS:-4}
CS_TOPICS=(clickstream.raw clickstream.clean clickstream.bots clickstream.dlq)

CS_CH_HTTP_PORT=${CLICKSTREAM_CLICKHOUSE_HTTP_PORT:-18123}
CS_CH_TCP_PORT=${CLICKSTREAM_CLICKHOUSE_TCP_PORT:-19000}
CS_CH_INTERSERVER_PORT=${CLICKSTREAM_CLICKHOUSE_INTERSERVER_PORT:-19009}
CS_CH_URL=http://127.0.0.1:$CS_CH_HTTP_PORT

export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}

cs_log() { printf '\033[1m[%s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cs_die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# cs_port_open PORT: true when something listens on 127.0.0.1:PORT.
cs_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# cs_wait_for WHAT SECONDS COMMAND...: runs COMMAND every half second until it
# succeeds, printing a dot every few tries; fails after SECONDS.
cs_wait_for() {
  local what=$1 limit=$2 start=$SECONDS n=0
  shift 2
  printf '  waiting for %s ' "$what" >&2
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - start >= limit )); then
      printf ' gave up after %ss\n' "$limit" >&2
      return 1
    fi
    (( ++n % 4 == 0 )) && printf '.' >&2
    sleep 0.5
  done
  printf ' ready (%ss)\n' "$((SECONDS - start))" >&2
}
