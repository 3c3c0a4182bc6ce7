#!/usr/bin/env bash
# Builds the Debian package and checks it: metadata, contents, desktop entry, AppStream,
# lintian (errors fail), and a smoke run of the extracted binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
(cd build && cpack -G DEB >/dev/null)
deb=$(ls -t build/scaleout_*_amd64.deb | head -1)
echo "package: $deb"
dpkg-deb --info "$deb"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/scaleout ./usr/share/applications/scaleout.desktop ./usr/share/man/man1/scaleout.1.gz \
         ./usr/share/icons/hicolor/scalable/apps/scaleout.svg ./usr/share/icons/hicolor/48x48/apps/scaleout.png \
         ./usr/share/metainfo/io.github.scaleout_studio.ScaleoutStudio.metainfo.xml \
         ./usr/lib/systemd/system/scaleout-worker.service ./etc/default/scaleout-worker \
         ./usr/share/scaleout/confs/iris-mlp.json ./usr/share/doc/scaleout/copyright; do
  grep -q " $f\$" <<<"$contents" || { echo "missing from package: $f"; exit 1; }
done
desktop-file-validate installer/scaleout.desktop
if command -v appstreamcli >/dev/null; then appstreamcli validate --no-net installer/*.metainfo.xml; fi
if command -v lintian >/dev/null; then
  # Errors fail the check; warnings are printed for the note.
  lintian --no-tag-display-limit "$deb" | tee build/lintian.txt || true
  if grep -q '^E:' build/lintian.txt; then echo "lintian reported errors"; exit 1; fi
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
"$root/usr/bin/scaleout" --version
"$root/usr/bin/scaleout" knobs | grep networkClass >/dev/null  # grep -q would close the pipe early (SIGPIPE under pipefail)
"$root/usr/bin/scaleout" train "$root/usr/share/scaleout/confs/iris-mlp.json" --set finetuneEpochs=20 --out "$root/run" | tail -3
echo "package check passed"
