#!/bin/sh
# Grants fleetvault's Kafka principals exactly what they use (kafka-acls.sh).
# Run after topics.sh, on a cluster with an authorizer and
# allow.everyone.if.no.acl.found=false. See deploy/kafka/README.md.
#
# usage: deploy/kafka/acls.sh BOOTSTRAP [ADMIN_CLIENT_PROPERTIES]
#
# Environment (defaults in brackets):
#   TOPIC_PREFIX [fleetvault.]
#   COORDINATOR_PRINCIPAL [User:fleetvault-coordinator]
#   WORKER_PRINCIPAL [User:fleetvault-worker]
#   DLQ_READER_PRINCIPAL [the worker principal]  who runs `fleetvault dlq`
#   IDEMPOTENT_WRITE=1   also grant IdempotentWrite on the cluster (brokers
#                        before Kafka 3.0 need it for the idempotent producer)
#   KAFKA_ACLS [kafka-acls.sh]   DRY_RUN=1 prints the commands
# mTLS principals are the certificate's subject unless the brokers map them
# (ssl.principal.mapping.rules): e.g. User:CN=fleetvault-worker.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
BOOTSTRAP=$1
PROPS=${2:-}
if [ -n "$PROPS" ] && [ ! -r "$PROPS" ]; then
    echo "acls.sh: cannot read $PROPS" >&2
    exit 2
fi
PREFIX=${TOPIC_PREFIX:-fleetvault.}
COORD=${COORDINATOR_PRINCIPAL:-User:fleetvault-coordinator}
WORKER=${WORKER_PRINCIPAL:-User:fleetvault-worker}
DLQ_READER=${DLQ_READER_PRINCIPAL:-$WORKER}
KAFKA_ACLS=${KAFKA_ACLS:-kafka-acls.sh}

set -- --bootstrap-server "$BOOTSTRAP"
if [ -n "$PROPS" ]; then
    set -- "$@" --command-config "$PROPS"
fi

# allow PRINCIPAL OPERATION RESOURCE-OPTIONS...
allow() {
    principal=$1 operation=$2
    shift 2
    if [ "${DRY_RUN:-}" = 1 ]; then
        echo "$KAFKA_ACLS" "$@" --add --allow-principal "$principal" --operation "$operation"
    else
        "$KAFKA_ACLS" "$@" --add --allow-principal "$principal" --operation "$operation"
    fi
}

# The coordinator (and `fleetvault backup` against this cluster): publishes
# tasks and run events, reads results in group fleetvault-coordinator.
allow "$COORD" Write "$@" --topic "${PREFIX}tasks"
allow "$COORD" Write "$@" --topic "${PREFIX}events"
allow "$COORD" Read "$@" --topic "${PREFIX}results"
allow "$COORD" Read "$@" --group fleetvault-coordinator
# `fleetvault restore quicksight` (as the coordinator's principal): publishes
# quicksight.import tasks, reads their results in a group of its own,
# fleetvault-restore-<run id>.
allow "$COORD" Read "$@" --resource-pattern-type prefixed --group fleetvault-restore-

# The workers: read tasks in group fleetvault-workers; publish results,
# follow-up tasks and dead letters.
allow "$WORKER" Read "$@" --topic "${PREFIX}tasks"
allow "$WORKER" Write "$@" --topic "${PREFIX}results"
allow "$WORKER" Write "$@" --topic "${PREFIX}tasks"
allow "$WORKER" Write "$@" --topic "${PREFIX}dlq"
allow "$WORKER" Read "$@" --group fleetvault-workers

# `fleetvault dlq` reads the DLQ from the start in a new group
# dlq-reader-<host>-<pid> each time: a prefixed group ACL.
allow "$DLQ_READER" Read "$@" --topic "${PREFIX}dlq"
allow "$DLQ_READER" Read "$@" --resource-pattern-type prefixed --group dlq-reader-

if [ "${IDEMPOTENT_WRITE:-}" = 1 ]; then
    allow "$COORD" IdempotentWrite "$@" --cluster
    allow "$WORKER" IdempotentWrite "$@" --cluster
fi
