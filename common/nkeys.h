/* nkeys.h - NATS nkeys public keys (the identities in wasmCloud claims).
 *
 * A public nkey is the unpadded base32 (common/base32.h) of 35 bytes:
 *
 *     prefix byte | 32-byte Ed25519 public key | CRC-16/XMODEM, little-endian
 *
 * The CRC (polynomial 0x1021, initial value 0, no reflection, no final
 * XOR) covers the prefix and the key.  The prefix byte is the role; its
 * top five bits are the first base32 character, hence the letters:
 *
 *     'A' account 0x00   'V' service 0xA8   'O' operator 0x70
 *     'N' server  0x68   'C' cluster 0x10   'U' user     0xA0
 *     'M' module  0x60   'X' curve   0xB8 (an X25519 key, not Ed25519)
 *
 * wasmCloud provider claims are issued by an account and name a service
 * as their subject (common/pkg_par.c).  Seeds (secret keys, "S...") are not
 * handled here: wharf only ever verifies.
 */
#ifndef WH_NKEYS_H
#define WH_NKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Characters of a public nkey (35 bytes of base32), and its bytes. */
#define WH_NKEY_LEN     56
#define WH_NKEY_RAW_LEN 35

/* Prefix bytes of the public key roles. */
enum {
    WH_NKEY_ACCOUNT  = 0x00,
    WH_NKEY_CLUSTER  = 0x10,
    WH_NKEY_MODULE   = 0x60,
    WH_NKEY_SERVER   = 0x68,
    WH_NKEY_OPERATOR = 0x70,
    WH_NKEY_USER     = 0xA0,
    WH_NKEY_SERVICE  = 0xA8,
    WH_NKEY_CURVE    = 0xB8,
};

/* CRC-16/XMODEM of data[0..n) ("123456789" gives 0x31C3). */
uint16_t wh_crc16_xmodem(const uint8_t *data, size_t n);

/* The role's name ("account", "service", ...), or NULL if prefix is not
 * one of the roles above. */
const char *wh_nkey_role(int prefix);

/* Write the public nkey of role prefix and key to out (WH_NKEY_LEN
 * characters and a NUL).  prefix must be one of the roles above. */
void wh_nkey_encode(char out[WH_NKEY_LEN + 1], int prefix,
                    const uint8_t key[32]);

/* Decode the n characters at s as a public nkey of role want (a
 * WH_NKEY_* value, or -1 for any role); set *prefix (may be NULL) and
 * key.  Fails with WH_E_FORMAT, err->path empty, reason one of:
 *   "nkey has 55 characters, expected 56"
 *   "invalid base32 character '1'"  (and the other wh_base32_decode reasons)
 *   "invalid nkey checksum"
 *   "invalid nkey prefix byte 0x01"
 *   "not an account key"             ("not a service key", ...: valid,
 *                                     but of another role than want)
 * The checksum is checked before the role, so a mistyped key says so
 * rather than being blamed on its role. */
int wh_nkey_decode(const char *s, size_t n, int want, int *prefix,
                   uint8_t key[32], wh_err *err);

#endif
