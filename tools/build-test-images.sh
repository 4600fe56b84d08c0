#!/usr/bin/env bash
# Offline test images and a local registry for the end-to-end tests (Debian 12, root).
#   tools/build-test-images.sh up     build the images, start docker-registry on 127.0.0.1:5000, push them,
#                                     and save docker archives under $WORK/archives (for `swiftlet images import`)
#   tools/build-test-images.sh down   stop the registry (by its recorded PID) and remove $WORK
# Images: busybox:1.36 and library/busybox:1.36 (busybox-static), nginx:1.14.2 and library/nginx:1.14.2
# (busybox httpd serving /www: `httpd -f -p 80 -h /www`), pause:3.9 (a static C pause, or busybox sleep).
# Needs: busybox-static umoci skopeo docker-registry curl (gcc for the C pause).
set -euo pipefail
WORK=${SWIFTLET_TEST_IMAGES_DIR:-/tmp/swiftlet-test-images}
ADDR=127.0.0.1:5000
HERE=$(cd "$(dirname "$0")" && pwd)
log() { echo "[test-images] $*"; }

registry_up() { curl -fsS "http://$ADDR/v2/" >/dev/null 2>&1; }

build() {
  local oci="$WORK/oci" rootfs="$WORK/rootfs"
  rm -rf "$oci" "$rootfs" "$WORK/www" "$WORK/pause-root"
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

  umoci init --layout "$oci"
  umoci new --image "$oci:busybox"
  umoci insert --image "$oci:busybox" "$rootfs" /
  umoci config --image "$oci:busybox" --os linux --architecture amd64 \
    --config.env PATH=/bin:/usr/bin:/sbin:/usr/sbin --config.workingdir / --config.cmd sh

  # "nginx": the busybox layer plus /www, served by busybox httpd in the foreground on port 80.
  mkdir -p "$WORK/www"
  printf '<!DOCTYPE html>\n<html><body><h1>Welcome to nginx!</h1><p>busybox httpd test image</p></body></html>\n' \
    >"$WORK/www/index.html"
  umoci tag --image "$oci:busybox" nginx
  umoci insert --image "$oci:nginx" "$WORK/www" /www
  umoci config --image "$oci:nginx" --clear=config.cmd --config.exposedports 80/tcp \
    --config.entrypoint httpd --config.entrypoint -f --config.entrypoint -p --config.entrypoint 80 \
    --config.entrypoint -h --config.entrypoint /www

  mkdir -p "$WORK/pause-root"
  if command -v gcc >/dev/null && gcc -Os -static -s -o "$WORK/pause-root/pause" "$HERE/pause.c" 2>/dev/null; then
    umoci new --image "$oci:pause"
    umoci insert --image "$oci:pause" "$WORK/pause-root/pause" /pause
    umoci config --image "$oci:pause" --os linux --architecture amd64 \
      --config.entrypoint /pause --config.user 65535:65535
  else
    log "no static gcc: the pause image runs busybox sleep"
    umoci tag --image "$oci:busybox" pause
    umoci config --image "$oci:pause" --config.entrypoint sleep --config.cmd 2147483647
  fi
  umoci gc --layout "$oci"
}

start_registry() {
  if [ -f "$WORK/registry.pid" ] && kill -0 "$(cat "$WORK/registry.pid")" 2>/dev/null && registry_up; then
    log "registry already running (pid $(cat "$WORK/registry.pid"))"
    return
  fi
  if registry_up; then
    echo "something else already serves http://$ADDR; stop it first" >&2
    exit 1
  fi
  mkdir -p "$WORK/registry"
  cat >"$WORK/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry
  delete:
    enabled: true
http:
  addr: $ADDR
YAML
  nohup docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
  echo $! >"$WORK/registry.pid"
  for _ in $(seq 100); do registry_up && break; sleep 0.1; done
  registry_up || { echo "registry did not start; see $WORK/registry.log" >&2; exit 1; }
  log "registry on http://$ADDR (pid $(cat "$WORK/registry.pid"))"
}

push() {
  local oci="$WORK/oci"
  mkdir -p "$WORK/archives"
  while read -r tag ref; do
    skopeo copy -q --dest-tls-verify=false "oci:$oci:$tag" "docker://$ADDR/$ref"
  done <<LIST
busybox busybox:1.36
busybox library/busybox:1.36
nginx nginx:1.14.2
nginx library/nginx:1.14.2
pause pause:3.9
LIST
  rm -f "$WORK"/archives/*.tar
  skopeo copy -q "oci:$oci:busybox" "docker-archive:$WORK/archives/busybox.tar:docker.io/library/busybox:1.36"
  skopeo copy -q "oci:$oci:nginx" "docker-archive:$WORK/archives/nginx.tar:docker.io/library/nginx:1.14.2"
  skopeo copy -q "oci:$oci:pause" "docker-archive:$WORK/archives/pause.tar:$ADDR/pause:3.9"
  log "catalog: $(curl -fsS "http://$ADDR/v2/_catalog")"
}

down() {
  if [ -f "$WORK/registry.pid" ]; then
    local pid
    pid=$(cat "$WORK/registry.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
  fi
  rm -rf "$WORK"
  log "registry stopped, $WORK removed"
}

case "${1:-}" in
  up) mkdir -p "$WORK"; build; start_registry; push ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
