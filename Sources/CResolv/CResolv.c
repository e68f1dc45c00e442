#include "CResolv.h"

#include <string.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>

int cresolv_query(const char *name, int type, uint8_t *answer, int answer_size, int *status) {
    // A resolver state per call: thread-safe, and /etc/resolv.conf changes are seen.
    struct __res_state state;
    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) {
        *status = CRESOLV_FAILED;
        return -1;
    }
    int length = res_nquery(&state, name, ns_c_in, type, answer, answer_size);
    if (length < 0) {
        switch (state.res_h_errno) {
        case HOST_NOT_FOUND: *status = CRESOLV_NO_SUCH_DOMAIN; break;
        case NO_DATA: *status = CRESOLV_NO_DATA; break;
        case TRY_AGAIN: *status = CRESOLV_TRY_AGAIN; break;
        default: *status = CRESOLV_FAILED; break;
        }
    } else {
        *status = CRESOLV_OK;
        // A truncated reply may report more than fits; only what was written counts.
        if (length > answer_size) length = answer_size;
    }
    res_nclose(&state);
    return length;
}

int cresolv_answer_count(const uint8_t *message, int length, int *rcode) {
    ns_msg handle;
    if (ns_initparse(message, length, &handle) < 0) return -1;
    *rcode = ns_msg_getflag(handle, ns_f_rcode);
    return ns_msg_count(handle, ns_s_an);
}

int cresolv_answer_record(const uint8_t *message, int length, int index, cresolv_record *record) {
    ns_msg handle;
    ns_rr rr;
    if (ns_initparse(message, length, &handle) < 0) return -1;
    if (ns_parserr(&handle, ns_s_an, index, &rr) < 0) return -1;
    memset(record, 0, sizeof *record);
    record->type = ns_rr_type(rr);
    const uint8_t *rdata = ns_rr_rdata(rr);
    int rdlength = ns_rr_rdlen(rr);
    switch (record->type) {
    case ns_t_mx:
        if (rdlength < 3) return -1;
        record->preference = ns_get16(rdata);
        // The exchange may be compressed: a pointer into the rest of the message.
        if (dn_expand(ns_msg_base(handle), ns_msg_end(handle), rdata + 2, record->exchange,
                      sizeof record->exchange) < 0) return -1;
        break;
    case ns_t_a:
    case ns_t_aaaa:
        if (rdlength != (record->type == ns_t_a ? 4 : 16)) return -1;
        memcpy(record->address, rdata, rdlength);
        record->address_length = rdlength;
        break;
    default:
        break;
    }
    return 0;
}
