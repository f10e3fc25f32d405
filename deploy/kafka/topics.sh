#!/bin/sh
# Creates fleetvault's four topics on a real Kafka cluster (fleetvault creates
# topics only on its embedded cluster), or brings their settings in line if
# they exist. Safe to run again. See deploy/kafka/README.md for the numbers.
#
# usage: deploy/kafka/topics.sh BOOTSTRAP [ADMIN_CLIENT_PROPERTIES]
#
#   BOOTSTRAP                  host:port,... of the cluster
#   ADMIN_CLIENT_PROPERTIES    a Java client properties file for an admin
#                              principal (security.protocol, SASL or TLS keys)
#
# Environment (defaults in brackets):
#   TOPIC_PREFIX [fleetvault.]   must equal kafka.topic_prefix in fleet.yaml
#   TASKS_PARTITIONS [24]        >= the most workers you will ever run
#   RESULTS_PARTITIONS [6]  EVENTS_PARTITIONS [3]  DLQ_PARTITIONS [3]
#   REPLICATION [3]  MIN_ISR [2]
#   TASKS_RETENTION_MS [604800000, 7 d]    RESULTS_RETENTION_MS [259200000, 3 d]
#   EVENTS_RETENTION_MS [259200000, 3 d]   DLQ_RETENTION_MS [2592000000, 30 d]
#   KAFKA_TOPICS [kafka-topics.sh]  KAFKA_CONFIGS [kafka-configs.sh]
#                                (Confluent Platform: kafka-topics, kafka-configs)
#   DRY_RUN=1                    print the commands instead of running them
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
BOOTSTRAP=$1
PROPS=${2:-}
if [ -n "$PROPS" ] && [ ! -r "$PROPS" ]; then
    echo "topics.sh: cannot read $PROPS" >&2
    exit 2
fi

PREFIX=${TOPIC_PREFIX:-fleetvault.}
REPLICATION=${REPLICATION:-3}
MIN_ISR=${MIN_ISR:-2}
KAFKA_TOPICS=${KAFKA_TOPICS:-kafka-topics.sh}
KAFKA_CONFIGS=${KAFKA_CONFIGS:-kafka-configs.sh}

if [ "$MIN_ISR" -ge "$REPLICATION" ]; then
    echo "topics.sh: MIN_ISR ($MIN_ISR) must be below REPLICATION ($REPLICATION)," \
        "or one broker down stops every write (the producer uses acks=all)" >&2
    exit 2
fi

run() {
    if [ "${DRY_RUN:-}" = 1 ]; then
        echo "$*"
    else
        "$@"
    fi
}

# Client options shared by every command (the admin properties, if any).
set -- --bootstrap-server "$BOOTSTRAP"
if [ -n "$PROPS" ]; then
    set -- "$@" --command-config "$PROPS"
fi

# topic NAME PARTITIONS RETENTION_MS (after the shared options in "$@")
topic() {
    name=$PREFIX$1 partitions=$2 retention=$3
    shift 3
    run "$KAFKA_TOPICS" "$@" --create --if-not-exists --topic "$name" \
        --partitions "$partitions" --replication-factor "$REPLICATION" \
        --config "retention.ms=$retention" --config "min.insync.replicas=$MIN_ISR" \
        --config cleanup.policy=delete
    # An existing topic keeps its partitions and replication factor; its
    # settings are brought in line here.
    run "$KAFKA_CONFIGS" "$@" --alter --entity-type topics --entity-name "$name" \
        --add-config "retention.ms=$retention,min.insync.replicas=$MIN_ISR,cleanup.policy=delete"
}

topic tasks "${TASKS_PARTITIONS:-24}" "${TASKS_RETENTION_MS:-604800000}" "$@"
topic results "${RESULTS_PARTITIONS:-6}" "${RESULTS_RETENTION_MS:-259200000}" "$@"
topic events "${EVENTS_PARTITIONS:-3}" "${EVENTS_RETENTION_MS:-259200000}" "$@"
topic dlq "${DLQ_PARTITIONS:-3}" "${DLQ_RETENTION_MS:-2592000000}" "$@"

run "$KAFKA_TOPICS" "$@" --describe --topic "^${PREFIX}(tasks|results|events|dlq)\$"
