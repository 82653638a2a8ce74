#!/usr/bin/env bash
# Installs wdavdaemon as a systemd service from this (built) checkout:
#   the application into /opt/wdavdaemon, the units, sysusers.d and tmpfiles.d files,
#   and `mdatp` / `wdavdaemon` on PATH (/usr/local/bin). Then enables and starts the service
#   when systemd is running. `--uninstall` reverses it (state in /var/lib/wdavdaemon is kept
#   unless `--purge`). `--root DIR` stages everything under DIR instead of / (packaging, tests).
set -euo pipefail

ROOT=""
MODE=install
PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --uninstall) MODE=uninstall; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "install-service: unknown option $1" >&2; exit 2 ;;
  esac
done

SRC=$(cd "$(dirname "$0")/.." && pwd)
APP="$ROOT/opt/wdavdaemon"
UNITS="$ROOT/etc/systemd/system"
SYSUSERS="$ROOT/usr/lib/sysusers.d"
TMPFILES="$ROOT/usr/lib/tmpfiles.d"
BIN="$ROOT/usr/local/bin"
live=0
[ -z "$ROOT" ] && [ -d /run/systemd/system ] && live=1

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install-service: run as root (or stage with --root DIR)" >&2
  exit 1
fi

if [ "$MODE" = uninstall ]; then
  if [ "$live" = 1 ]; then
    systemctl disable --now wdavdaemon-quickscan.timer 2>/dev/null || true
    systemctl disable --now wdavdaemon.service 2>/dev/null || true
  fi
  rm -f "$UNITS/wdavdaemon.service" "$UNITS/wdavdaemon-quickscan.service" "$UNITS/wdavdaemon-quickscan.timer"
  rm -f "$SYSUSERS/wdavdaemon.conf" "$TMPFILES/wdavdaemon.conf"
  # Only our own links (mdatp.js is where mdatp pointed before it became mdatp.cjs).
  for link in mdatp:mdatp.cjs mdatp:mdatp.js wdavdaemon:wdavdaemon.js; do
    l=${link%%:*}
    if [ -L "$BIN/$l" ] && [ "$(readlink "$BIN/$l")" = "/opt/wdavdaemon/bin/${link#*:}" ]; then rm -f "$BIN/$l"; fi
  done
  rm -rf "$APP"
  [ "$PURGE" = 1 ] && rm -rf "$ROOT/var/lib/wdavdaemon" "$ROOT/etc/wdavdaemon"
  [ "$live" = 1 ] && systemctl daemon-reload
  echo "wdavdaemon uninstalled${PURGE:+}$([ "$PURGE" = 1 ] && echo ' (state purged)' || echo '; state kept in /var/lib/wdavdaemon')"
  exit 0
fi

for f in dist/daemon/main.js dist/cli/mdatp.cjs build/Release/wdav.node node_modules; do
  [ -e "$SRC/$f" ] || { echo "install-service: $f is missing: run 'npm ci' first" >&2; exit 1; }
done

mkdir -p "$APP" "$UNITS" "$SYSUSERS" "$TMPFILES" "$BIN"
# Copy into a new directory, then swap: a running daemon keeps its files until restarted.
stage="$APP.new.$$"
rm -rf "$stage"
mkdir -p "$stage/build"
cp -a "$SRC/package.json" "$SRC/bin" "$SRC/dist" "$SRC/node_modules" "$SRC/systemd" "$stage/"
[ -d "$SRC/keys" ] && cp -a "$SRC/keys" "$stage/"
[ -d "$SRC/docs" ] && cp -a "$SRC/docs" "$stage/"
cp -a "$SRC/README.md" "$stage/" 2>/dev/null || true
cp -a "$SRC/build/Release" "$stage/build/"
rm -rf "$APP.old"
[ -d "$APP" ] && mv "$APP" "$APP.old"
mv "$stage" "$APP"
rm -rf "$APP.old"
chmod -R go-w "$APP"

install -m 0644 "$SRC/systemd/wdavdaemon.service" "$UNITS/wdavdaemon.service"
for u in wdavdaemon-quickscan.service wdavdaemon-quickscan.timer; do
  [ -f "$SRC/systemd/$u" ] && install -m 0644 "$SRC/systemd/$u" "$UNITS/$u"
done
install -m 0644 "$SRC/systemd/wdavdaemon.sysusers" "$SYSUSERS/wdavdaemon.conf"
install -m 0644 "$SRC/systemd/wdavdaemon.tmpfiles" "$TMPFILES/wdavdaemon.conf"
ln -sfn /opt/wdavdaemon/bin/mdatp.cjs "$BIN/mdatp"
ln -sfn /opt/wdavdaemon/bin/wdavdaemon.js "$BIN/wdavdaemon"

if [ "$live" = 1 ]; then
  systemd-sysusers "$SYSUSERS/wdavdaemon.conf"
  systemd-tmpfiles --create "$TMPFILES/wdavdaemon.conf"
  systemctl daemon-reload
  systemctl enable --now wdavdaemon.service
  [ -f "$UNITS/wdavdaemon-quickscan.timer" ] && systemctl enable --now wdavdaemon-quickscan.timer
  echo "wdavdaemon installed and started: try 'mdatp health'"
else
  echo "wdavdaemon installed under ${ROOT:-/}; systemd is not running here, so nothing was started."
  echo "On a systemd host: systemd-sysusers; systemd-tmpfiles --create; systemctl daemon-reload; systemctl enable --now wdavdaemon"
fi
