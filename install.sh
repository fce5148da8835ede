#!/bin/sh
# install.sh — installs velad, k3s style: detects OS/arch, puts the binary in /usr/local/bin
# (or ~/.local/bin without root), links `vela` and `kubectl` to it.
#
#   VELAD_BINARY=./bin/velad ./install.sh     install a local binary (works offline)
#   ./install.sh --uninstall                  remove what install.sh installed
#
# Environment: VELAD_BINARY (local binary to install), INSTALL_DIR (target directory),
# VELAD_SKIP_LINKS=1 (do not create vela/kubectl links).
set -eu

info() { printf '[velad] %s\n' "$*"; }
fatal() { printf '[velad] ERROR: %s\n' "$*" >&2; exit 1; }

detect_platform() {
	os=$(uname -s | tr '[:upper:]' '[:lower:]')
	case "$(uname -m)" in
	x86_64 | amd64) arch=amd64 ;;
	aarch64 | arm64) arch=arm64 ;;
	armv7l) arch=arm ;;
	*) fatal "unsupported architecture $(uname -m)" ;;
	esac
	[ "$os" = linux ] || info "warning: velad's control plane is built for Linux; detected $os"
}

choose_dir() {
	if [ -n "${INSTALL_DIR:-}" ]; then
		dir=$INSTALL_DIR
	elif [ "$(id -u)" = 0 ]; then
		dir=/usr/local/bin
	else
		dir=$HOME/.local/bin
	fi
	manifest=${VELAD_MANIFEST:-$dir/.velad-installed}
}

do_uninstall() {
	choose_dir
	if [ ! -f "$manifest" ]; then
		info "nothing installed by install.sh in $dir"
		exit 0
	fi
	if command -v "$dir/velad" >/dev/null 2>&1; then
		for name in $("$dir/velad" status -o json 2>/dev/null | sed -n 's/.*"name": "\(.*\)".*/\1/p'); do
			info "uninstalling cluster $name"
			"$dir/velad" uninstall --name "$name" || true
		done
	fi
	while read -r f; do
		[ -n "$f" ] && rm -f "$f" && info "removed $f"
	done <"$manifest"
	rm -f "$manifest"
	info "uninstalled"
}

do_install() {
	detect_platform
	choose_dir
	src=${VELAD_BINARY:-}
	if [ -z "$src" ]; then
		for candidate in ./bin/velad ./velad ./velad-$os-$arch; do
			[ -x "$candidate" ] && src=$candidate && break
		done
	fi
	[ -n "$src" ] || fatal "no velad binary found: build it with 'make build' and run 'VELAD_BINARY=./bin/velad ./install.sh' (velad installs offline from a local binary)"
	[ -x "$src" ] || fatal "$src is not an executable file"
	mkdir -p "$dir" || fatal "cannot create $dir: run as root or set INSTALL_DIR"
	info "installing $src to $dir/velad ($os/$arch)"
	cp "$src" "$dir/velad.tmp" && chmod 0755 "$dir/velad.tmp" && mv "$dir/velad.tmp" "$dir/velad"
	printf '%s\n' "$dir/velad" >"$manifest"
	if [ "${VELAD_SKIP_LINKS:-}" != 1 ]; then
		for link in vela kubectl; do
			if [ -e "$dir/$link" ] && [ ! -L "$dir/$link" ]; then
				info "keeping the existing $dir/$link (not a velad link); use 'velad $link' instead"
				continue
			fi
			ln -sf velad "$dir/$link"
			printf '%s\n' "$dir/$link" >>"$manifest"
			info "linked $dir/$link -> velad"
		done
	fi
	case ":$PATH:" in *":$dir:"*) ;; *) info "add $dir to your PATH" ;; esac
	info "done; start a cluster with: velad install"
}

case "${1:-}" in
--uninstall) do_uninstall ;;
"") do_install ;;
*) fatal "unknown argument $1 (use --uninstall, or nothing to install)" ;;
esac
