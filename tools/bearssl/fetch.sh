#!/usr/bin/env bash
# Unpacks BearSSL 0.6 from Debian's source package into third_party/bearssl (ignored by git),
# pinned version and SHA-256 sums (tools/debsrc-unpack.sh). The kernel and ixmgr compile only
# the few files HMAC-SHA256 needs (mgmt/mgmt.mk lists them).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tools/debsrc-unpack.sh" bearssl 0.6+dfsg.1-3 "$top/third_party/bearssl" \
	"9bd17e07fc9824b0223dcb4ba14adac17981a4d8f1d63b6655819fe8f2ed98d1 bearssl_0.6+dfsg.1-3.dsc" \
	"102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004 bearssl_0.6+dfsg.1.orig.tar.xz" \
	"051264300dffd810e7ea08f8210d3f9f61773dcd322086c0cbd02bee8d1f73df bearssl_0.6+dfsg.1-3.debian.tar.xz"
