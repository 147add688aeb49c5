/* SPDX-License-Identifier: MIT */
/* tether_identity.h - a stand-in, with the same fields, for the file
 * `tether provision --out DIR` writes beside a sketch
 * (DIR/<id>/tether_identity.h; src/cli/artifacts.c), so that
 * tests/target/run.sh compiles the example sketches. No real secret. */
#ifndef TETHER_IDENTITY_H
#define TETHER_IDENTITY_H
#define TETHER_IDENTITY_ID		"standin-1"
#define TETHER_IDENTITY_LABEL		"compile check"
#define TETHER_IDENTITY_SCHEME		0
#define TETHER_IDENTITY_SCHEME_NAME	"plain"
#define TETHER_IDENTITY_SECRET		"not-a-secret-only-a-compile-check"
#define TETHER_IDENTITY_HAS_MAC		0
#define TETHER_IDENTITY_MAC		{ 0, 0, 0, 0, 0, 0 }
#endif
