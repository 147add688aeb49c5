/* SPDX-License-Identifier: MIT */
/*
 * bearssl.h - BearSSL as the Arduino cores keep it, <bearssl/bearssl.h>:
 * what library.json's in-tree build puts on the include path (the
 * assembled library of make-library.sh writes the same file into src/).
 */
#include <bearssl/bearssl.h>
