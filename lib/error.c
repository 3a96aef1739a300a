#include "sami/error.h"

struct sami_error_desc {
    int code;
    const char *name;
    const char *text;
};

static const struct sami_error_desc sami_errors[] = {
    {SAMI_OK, "SAMI_OK", "success"},
    {SAMI_ERR_TRUNCATED, "SAMI_ERR_TRUNCATED", "truncated: input ends inside a field"},
    {SAMI_ERR_NOBUFS, "SAMI_ERR_NOBUFS", "output buffer too small"},
    {SAMI_ERR_LENGTH, "SAMI_ERR_LENGTH", "length field disagrees with content"},
    {SAMI_ERR_VERSION, "SAMI_ERR_VERSION", "unsupported version"},
    {SAMI_ERR_TYPE, "SAMI_ERR_TYPE", "unknown or unexpected type"},
    {SAMI_ERR_VALUE, "SAMI_ERR_VALUE", "field value out of range"},
    {SAMI_ERR_COUNT, "SAMI_ERR_COUNT", "entry count disagrees with length"},
    {SAMI_ERR_MISSING, "SAMI_ERR_MISSING", "mandatory element missing"},
    {SAMI_ERR_ORDER, "SAMI_ERR_ORDER", "elements out of order"},
    {SAMI_ERR_DUPLICATE, "SAMI_ERR_DUPLICATE", "element appears more than once"},
    {SAMI_ERR_TRAILING, "SAMI_ERR_TRAILING", "unexpected trailing bytes"},
    {SAMI_ERR_OUI, "SAMI_ERR_OUI", "organizationally specific TLV of another OUI"},
    {SAMI_ERR_TOOBIG, "SAMI_ERR_TOOBIG", "exceeds size limit"},
    {SAMI_ERR_INVAL, "SAMI_ERR_INVAL", "invalid argument"},
    {SAMI_ERR_UNSUPPORTED, "SAMI_ERR_UNSUPPORTED", "not supported"},
    {SAMI_ERR_DIGEST, "SAMI_ERR_DIGEST", "digest mismatch"},
    {SAMI_ERR_AUTH, "SAMI_ERR_AUTH", "authentication failed"},
    {SAMI_ERR_REPLAY, "SAMI_ERR_REPLAY", "replayed or out-of-window sequence"},
    {SAMI_ERR_NOKEY, "SAMI_ERR_NOKEY", "unknown or expired key id"},
    {SAMI_ERR_CRYPTO, "SAMI_ERR_CRYPTO", "crypto provider failure"},
    {SAMI_ERR_UNSOLICITED, "SAMI_ERR_UNSOLICITED", "unsolicited: migration not announced"},
    {SAMI_ERR_STATE, "SAMI_ERR_STATE", "not allowed in current state"},
    {SAMI_ERR_TIMEOUT, "SAMI_ERR_TIMEOUT", "deadline passed"},
    {SAMI_ERR_LIMIT, "SAMI_ERR_LIMIT", "resource limit reached"},
    {SAMI_ERR_NOTFOUND, "SAMI_ERR_NOTFOUND", "not found"},
    {SAMI_ERR_EXISTS, "SAMI_ERR_EXISTS", "already exists"},
    {SAMI_ERR_RETRIES, "SAMI_ERR_RETRIES", "retries exhausted"},
    {SAMI_ERR_REJECTED, "SAMI_ERR_REJECTED", "rejected by peer"},
    {SAMI_ERR_ABORTED, "SAMI_ERR_ABORTED", "aborted"},
    {SAMI_ERR_NOMEM, "SAMI_ERR_NOMEM", "out of memory"},
};

static const struct sami_error_desc *sami_error_find(int code)
{
    for (size_t i = 0; i < sizeof(sami_errors) / sizeof(sami_errors[0]); i++)
        if (sami_errors[i].code == code)
            return &sami_errors[i];
    return NULL;
}

const char *sami_strerror(int code)
{
    const struct sami_error_desc *d = sami_error_find(code);
    return d ? d->text : "unknown error";
}

const char *sami_strerror_name(int code)
{
    const struct sami_error_desc *d = sami_error_find(code);
    return d ? d->name : "SAMI_ERR_UNKNOWN";
}
