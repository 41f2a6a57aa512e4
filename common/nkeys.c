/* nkeys.c - NATS nkeys public keys: encode, decode, CRC-16/XMODEM.
 *
 * Implements the public-key half of the nkeys encoding (see nkeys.h for
 * the layout).  Decoding is strict in the order a reader would want the
 * explanation: length, alphabet (base32.c), checksum, prefix byte, role.
 * The CRC is computed bit by bit: keys are 33 bytes, a table would save
 * nothing measurable.
 *
 * Tests: tests/unit/par_test.c (the CRC check value, the fixture's keys,
 * round trips of every role, each rejection); tests/fuzz/nkeys/.
 */
#include "nkeys.h"

#include <assert.h>
#include <string.h>

#include "base32.h"

/* The article goes into "not an account key" / "not a user key". */
static const struct { int prefix; const char *name, *article; } roles[] = {
    { WH_NKEY_ACCOUNT,  "account",  "an" },
    { WH_NKEY_CLUSTER,  "cluster",  "a"  },
    { WH_NKEY_MODULE,   "module",   "a"  },
    { WH_NKEY_SERVER,   "server",   "a"  },
    { WH_NKEY_OPERATOR, "operator", "an" },
    { WH_NKEY_USER,     "user",     "a"  },
    { WH_NKEY_SERVICE,  "service",  "a"  },
    { WH_NKEY_CURVE,    "curve",    "a"  },
};

static int role_index(int prefix)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (roles[i].prefix == prefix)
            return (int)i;
    return -1;
}

uint16_t wh_crc16_xmodem(const uint8_t *data, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(data[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

const char *wh_nkey_role(int prefix)
{
    int i = role_index(prefix);
    return i < 0 ? NULL : roles[i].name;
}

void wh_nkey_encode(char out[WH_NKEY_LEN + 1], int prefix,
                    const uint8_t key[32])
{
    assert(wh_nkey_role(prefix));
    uint8_t raw[WH_NKEY_RAW_LEN];
    raw[0] = (uint8_t)prefix;
    memcpy(raw + 1, key, 32);
    uint16_t crc = wh_crc16_xmodem(raw, 33);
    raw[33] = (uint8_t)(crc & 0xff);
    raw[34] = (uint8_t)(crc >> 8);
    wh_base32_encode(out, raw, sizeof raw);
}

int wh_nkey_decode(const char *s, size_t n, int want, int *prefix,
                   uint8_t key[32], wh_err *err)
{
    if (n != WH_NKEY_LEN)
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "nkey has %zu characters, expected %d", n, WH_NKEY_LEN);
    uint8_t raw[WH_NKEY_RAW_LEN];
    size_t len;
    int rc = wh_base32_decode(raw, sizeof raw, &len, s, n, err);
    if (rc)
        return rc;
    assert(len == WH_NKEY_RAW_LEN);
    uint16_t crc = (uint16_t)(raw[33] | raw[34] << 8);
    if (crc != wh_crc16_xmodem(raw, 33))
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "invalid nkey checksum");
    if (!wh_nkey_role(raw[0]))
        return wh_fail(err, WH_E_FORMAT, NULL, -1,
                       "invalid nkey prefix byte 0x%02x", raw[0]);
    if (want >= 0 && raw[0] != want) {
        int r = role_index(want);
        assert(r >= 0);
        return wh_fail(err, WH_E_FORMAT, NULL, -1, "not %s %s key",
                       roles[r].article, roles[r].name);
    }
    if (prefix)
        *prefix = raw[0];
    memcpy(key, raw + 1, 32);
    return 0;
}
