#!/usr/bin/env bash
# Debian packages the suite needs and pip cannot give: PostgreSQL (a real server for the
# database tests), Chromium (pages tested in a real browser), systemd-analyze (unit checks),
# the text printers whose PDFs the compte-rendu reader is tested on (enscript, a2ps, paps,
# cups-filters' texttopdf, ghostscript's ps2pdf), Dovecot's IMAP server (the mailbox part is
# tested against a real one the tests start).
set -euo pipefail
need=()
command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v enscript >/dev/null 2>&1 || need+=(enscript)
command -v a2ps >/dev/null 2>&1 || need+=(a2ps)
command -v paps >/dev/null 2>&1 || need+=(paps)
command -v ps2pdf >/dev/null 2>&1 || need+=(ghostscript)
[ -x /usr/lib/cups/filter/texttopdf ] || need+=(cups-filters)
[ -f /usr/share/fonts/truetype/freefont/FreeMono.ttf ] || need+=(fonts-freefont-ttf)
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi
