#!/bin/sh
# Render the main window offscreen for three captures (clean VOD with ads, chapters, an ignored ad) and a mixed
# REST + Media Edge API capture (assets/window_edge.py) and, with --update, refresh the README pictures
# (assets/screenshot.png, assets/window-edge.png).
#   sh assets/screenshots.sh [OUTDIR] [--update]
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
root=$(dirname "$here")
out=/tmp/mcscope-shots
update=no
for arg in "$@"; do
    case "$arg" in
        --update) update=yes ;;
        *) out=$arg ;;
    esac
done
mkdir -p "$out"
external="$root/../shared/fixtures/external"
vod="$root/tests/fixtures/clean-vod.har"
[ -f "$external/adobe-tl1-view-to-end-repaired.har" ] && vod="$external/adobe-tl1-view-to-end-repaired.har"
export QT_QPA_PLATFORM=offscreen
shoot() {  # NAME CAPTURE...
    name=$1
    shift
    sh "$root/addon/run.sh" mcscope open "$@" --screenshot "$out/$name.png"
    echo "$out/$name.png"
}
shoot vod-with-ads "$vod"
shoot chapters "$root/tests/fixtures/clean-chapters.har"
fx="$root/tests/fixtures"
shoot ignored-ad "$fx/faulty-ad-outside-break.har" "$fx/clean-vod.har" "$fx/clean-live.har" \
    "$fx/clean-chapters.har" "$fx/clean-player-states.har" "$fx/faulty-events-after-end.har" \
    "$fx/faulty-ts-seconds.har" "$fx/clean-downloaded.har"
sh "$root/addon/run.sh" python "$here/window_edge.py" "$out/window-edge.png"
echo "$out/window-edge.png"
if [ "$update" = yes ]; then
    cp "$out/ignored-ad.png" "$here/screenshot.png"
    cp "$out/window-edge.png" "$here/window-edge.png"
    echo "updated $here/screenshot.png $here/window-edge.png"
fi
