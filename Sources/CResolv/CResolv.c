#include "CResolv.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>

// Replaces the state's name servers with `options`'s. IPv4 goes into nsaddr_list; IPv6 into
// glibc's extension (a malloc'd sockaddr_in6 that res_nclose frees), as res_ninit itself
// stores the IPv6 servers of /etc/resolv.conf.
static int set_servers(struct __res_state *state, const cresolv_options *options) {
    if (options->server_count > MAXNS || options->server_count > CRESOLV_MAX_SERVERS) return -1;
#ifdef __GLIBC__
    for (int index = 0; index < state->nscount && index < MAXNS; index++) {
        free(state->_u._ext.nsaddrs[index]);
        state->_u._ext.nsaddrs[index] = NULL;
    }
#endif
    for (int index = 0; index < options->server_count; index++) {
        const cresolv_server *server = &options->servers[index];
        memset(&state->nsaddr_list[index], 0, sizeof state->nsaddr_list[index]);
        if (server->address_length == 4) {
            state->nsaddr_list[index].sin_family = AF_INET;
            state->nsaddr_list[index].sin_port = htons(server->port);
            memcpy(&state->nsaddr_list[index].sin_addr, server->address, 4);
        } else if (server->address_length == 16) {
#ifdef __GLIBC__
            struct sockaddr_in6 *address = calloc(1, sizeof *address);
            if (address == NULL) return -1;
            address->sin6_family = AF_INET6;
            address->sin6_port = htons(server->port);
            memcpy(&address->sin6_addr, server->address, 16);
            state->_u._ext.nsaddrs[index] = address;
            // A zero family tells res_send to use the extension's address.
            state->nsaddr_list[index].sin_family = 0;
#else
            return -1;
#endif
        } else {
            return -1;
        }
#ifdef __GLIBC__
        state->_u._ext.nssocks[index] = -1;
#endif
    }
    state->nscount = options->server_count;
#ifdef __GLIBC__
    // res_send copies the list into its own on the first query.
    state->_u._ext.nscount = 0;
#endif
    return 0;
}

int cresolv_query(const char *name, int type, const cresolv_options *options, uint8_t *answer, int answer_size,
                  int *status) {
    // A resolver state per call: thread-safe, and /etc/resolv.conf changes are seen.
    struct __res_state state;
    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) {
        *status = CRESOLV_FAILED;
        return -1;
    }
    if (options != NULL) {
        if (options->server_count > 0 && set_servers(&state, options) != 0) {
            *status = CRESOLV_BAD_SERVER;
            res_nclose(&state);
            return -1;
        }
        if (options->timeout_seconds > 0) state.retrans = options->timeout_seconds;
        if (options->attempts > 0) state.retry = options->attempts;
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

// True when `rdata` is a sequence of whole character-strings, at least one.
static int whole_character_strings(const uint8_t *rdata, int rdlength) {
    if (rdlength < 1) return 0;
    int offset = 0;
    while (offset < rdlength) offset += 1 + rdata[offset];
    return offset == rdlength;
}

int cresolv_answer_record(const uint8_t *message, int length, int index, cresolv_record *record) {
    ns_msg handle;
    ns_rr rr;
    if (ns_initparse(message, length, &handle) < 0) return -1;
    if (ns_parserr(&handle, ns_s_an, index, &rr) < 0) return -1;
    memset(record, 0, sizeof *record);
    record->type = ns_rr_type(rr);
    record->ttl = ns_rr_ttl(rr);
    strncpy(record->owner, ns_rr_name(rr), sizeof record->owner - 1);
    const uint8_t *rdata = ns_rr_rdata(rr);
    int rdlength = ns_rr_rdlen(rr);
    record->rdata_offset = (int)(rdata - ns_msg_base(handle));
    record->rdata_length = rdlength;
    switch (record->type) {
    case ns_t_mx:
        if (rdlength < 3) return -1;
        record->preference = ns_get16(rdata);
        // The exchange may be compressed: a pointer into the rest of the message.
        if (dn_expand(ns_msg_base(handle), ns_msg_end(handle), rdata + 2, record->name,
                      sizeof record->name) < 0) return -1;
        break;
    case ns_t_ptr:
    case ns_t_cname:
        if (dn_expand(ns_msg_base(handle), ns_msg_end(handle), rdata, record->name, sizeof record->name) < 0)
            return -1;
        break;
    case ns_t_txt:
        if (!whole_character_strings(rdata, rdlength)) return -1;
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
