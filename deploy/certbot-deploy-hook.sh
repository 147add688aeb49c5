#!/bin/sh
# SPDX-License-Identifier: MIT
# deploy/certbot-deploy-hook.sh - certbot's deploy hook for the gateway
# under deploy/tether.service (docs/operations.md#renew-certificates).
#
#   certbot certonly --key-type ecdsa --reuse-key -d gw.example.com \
#       --deploy-hook 'sh /usr/share/doc/tether/deploy/certbot-deploy-hook.sh'
#
# (certbot keeps --reuse-key and the hook in the lineage's renewal
# configuration, so its timer's `certbot renew` runs both; --reuse-key
# keeps the key, so the devices' SPKI pins hold.)
#
# Why a hook and not `systemctl reload tether` alone: certbot writes the
# renewed files under /etc/letsencrypt/archive, the key readable by root
# only, and the unit runs the gateway as user tether reading
# /etc/tether/. So this copies the lineage's fullchain.pem and
# privkey.pem there (owner root, group tether, mode 0640) under the
# names the unit passes (ecdsa.crt/.key or rsa.crt/.key, by the key's
# type), then reloads: new handshakes get the new certificate, open
# connections carry on, and a file the gateway cannot load is refused
# with a reload_failed line in `journalctl -u tether`, the old one kept.
#
# certbot sets RENEWED_LINEAGE (/etc/letsencrypt/live/NAME). Overrides:
#   TETHER_CERT_DIR    where the unit reads certificates (/etc/tether)
#   TETHER_CERT_NAME   ecdsa or rsa (default: from the key's type)
#   TETHER_CERT_OWNER, TETHER_CERT_GROUP   the files' owner (root), group (tether)
#   TETHER_SERVICE     the unit to reload (tether)
set -eu

dir=${TETHER_CERT_DIR:-/etc/tether}
owner=${TETHER_CERT_OWNER:-root}
group=${TETHER_CERT_GROUP:-tether}
service=${TETHER_SERVICE:-tether}

die() { echo "certbot-deploy-hook: error: $*" >&2; exit 1; }

[ -n "${RENEWED_LINEAGE:-}" ] ||
    die "RENEWED_LINEAGE is not set: certbot sets it for a deploy hook (certbot renew --reuse-key --deploy-hook $0); to copy a lineage by hand, RENEWED_LINEAGE=/etc/letsencrypt/live/NAME $0"
crt=$RENEWED_LINEAGE/fullchain.pem
key=$RENEWED_LINEAGE/privkey.pem
for f in "$crt" "$key"; do
	[ -r "$f" ] || die "cannot read $f: is RENEWED_LINEAGE ($RENEWED_LINEAGE) a certbot lineage, and does this run as root?"
done
[ -d "$dir" ] || die "$dir is not a directory: make it (install -d -m 0750 -g $group $dir) or set TETHER_CERT_DIR"

name=${TETHER_CERT_NAME:-}
if [ -z "$name" ]; then
	command -v openssl >/dev/null ||
	    die "no openssl to tell the key's type: set TETHER_CERT_NAME=ecdsa or rsa"
	text=$(openssl pkey -in "$key" -noout -text 2>/dev/null) ||
	    die "$key is not a private key openssl reads"
	case $text in
	*"ASN1 OID"*) name=ecdsa ;;
	*modulus*) name=rsa ;;
	*) die "$key is neither an ECDSA nor an RSA key: the gateway serves those only" ;;
	esac
fi
case $name in
ecdsa | rsa) ;;
*) die "TETHER_CERT_NAME is $name: ecdsa or rsa (the names deploy/tether.service passes)" ;;
esac

# Copied beside their final names, then renamed over them: a restart at
# any moment reads whole files, never one half copied.
install -m 0640 -o "$owner" -g "$group" "$crt" "$dir/.$name.crt.new"
install -m 0640 -o "$owner" -g "$group" "$key" "$dir/.$name.key.new"
mv -f "$dir/.$name.key.new" "$dir/$name.key"
mv -f "$dir/.$name.crt.new" "$dir/$name.crt"
echo "certbot-deploy-hook: $dir/$name.crt and $name.key from $RENEWED_LINEAGE; reloading $service"
systemctl reload "$service"
