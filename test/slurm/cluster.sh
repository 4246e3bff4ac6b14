#!/usr/bin/env bash
# Starts or stops a real single-node Slurm cluster (slurmctld, slurmd, munged) on this machine for
# the end-to-end test. Usage: cluster.sh start|stop|status STATE_DIR
# start installs Debian's slurm-wlm pieces and munge when missing (needs root and apt), writes a
# slurm.conf under STATE_DIR, starts the daemons with their pid files there, and waits until the
# node is idle. stop kills exactly the daemons it started, by their pid files.
# Exit codes: 0 ok, 1 failure, 77 cannot run here (not root, or no apt-get): the caller skips.
set -euo pipefail

cmd=${1:?usage: cluster.sh start|stop|status STATE_DIR}
state=${2:?usage: cluster.sh start|stop|status STATE_DIR}

log() { echo "cluster.sh: $*" >&2; }

alive() { # pid file → 0 if that process runs (a zombie does not count)
  local f=$1 pid st
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [ -d "/proc/$pid" ] || return 1
  st=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo X)
  [ "$st" != "Z" ] && [ "$st" != "X" ]
}

stop() {
  for d in slurmd slurmctld munged; do
    local f="$state/$d.pid"
    if alive "$f"; then
      kill "$(cat "$f")" 2>/dev/null || true
      for _ in $(seq 50); do alive "$f" || break; sleep 0.1; done
      alive "$f" && kill -9 "$(cat "$f")" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  log "installing slurmctld slurmd slurm-client munge (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >&2
}

start() {
  if [ "$(id -u)" != 0 ]; then log "not root: cannot install or start Slurm"; exit 77; fi
  if ! command -v apt-get >/dev/null; then log "no apt-get: cannot install Slurm"; exit 77; fi
  install
  mkdir -p "$state"/{spool,ctld,log}
  stop

  # munge: a key owned by munge, its socket dir, and munged as the munge user (it refuses root)
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then mungekey --create --force >&2; else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; fi
  fi
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 0400 /etc/munge/munge.key
  chmod 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid >&2
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  cp /run/munge/munged.pid "$state/munged.pid"

  local cpus mem
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {print int($2/1024) - 512}' /proc/meminfo)
  cat > "$state/slurm.conf" <<CONF
ClusterName=collapse-test
SlurmctldHost=localhost
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MailProg=/bin/true
ReturnToService=2
MinJobAge=16
SchedulerType=sched/builtin
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$state/slurm.conf"
  /usr/sbin/slurmctld -f "$SLURM_CONF" >&2
  /usr/sbin/slurmd -f "$SLURM_CONF" -N localhost >&2
  for _ in $(seq 100); do
    if scontrol ping 2>/dev/null | grep -q UP && sinfo -h -o %T 2>/dev/null | grep -qE '^idle'; then
      log "up: $(sinfo -h -o '%P %D %T %c')"
      return 0
    fi
    sleep 0.2
  done
  log "Slurm did not come up; logs follow"
  tail -n 30 "$state"/log/*.log >&2 || true
  stop
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) for d in munged slurmctld slurmd; do if alive "$state/$d.pid"; then echo "$d up"; else echo "$d down"; fi; done ;;
  *) echo "usage: cluster.sh start|stop|status STATE_DIR" >&2; exit 2 ;;
esac
