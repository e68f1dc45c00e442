// The few libresolv calls Backstop needs, as plain functions: the resolver's API is mostly
// macros and by-value structs, which Swift cannot import.
#ifndef BACKSTOP_CRESOLV_H
#define BACKSTOP_CRESOLV_H

#include <stdint.h>

// How a query ended when it returned no message (h_errno, named so Swift needs no macros).
enum {
    CRESOLV_OK = 0,
    // NXDOMAIN: the name does not exist.
    CRESOLV_NO_SUCH_DOMAIN = 1,
    // The name exists but has no record of the type asked for.
    CRESOLV_NO_DATA = 2,
    // SERVFAIL or no answer in time: ask again later.
    CRESOLV_TRY_AGAIN = 3,
    // Anything else: refused, malformed, no resolver configured.
    CRESOLV_FAILED = 4,
    // A configured server cannot be put into the resolver's state (too many, bad family).
    CRESOLV_BAD_SERVER = 5,
};

// The most name servers one resolver state holds (glibc's MAXNS).
#define CRESOLV_MAX_SERVERS 3

// A name server to ask instead of /etc/resolv.conf's: 4 or 16 octets and a port.
typedef struct {
    uint8_t address[16];
    int address_length;
    uint16_t port;
} cresolv_server;

// How to ask: the servers (none: /etc/resolv.conf's), seconds per try, tries per server.
// A timeout or attempts of 0 keeps the resolver's own.
typedef struct {
    const cresolv_server *servers;
    int server_count;
    int timeout_seconds;
    int attempts;
} cresolv_options;

// One record of the answer section of a DNS message.
typedef struct {
    uint16_t type;
    uint32_t ttl;
    // The record's owner name, expanded.
    char owner[1025];
    // MX: the preference, and the exchange; PTR, CNAME: the target ("" or "." for the root).
    uint16_t preference;
    char name[1025];
    // A: 4 octets, AAAA: 16.
    uint8_t address[16];
    int address_length;
    // Where the record's data sits in the message; for TXT, checked to be whole
    // character-strings (RFC 1035 §3.3.14), each a length octet and that many octets.
    int rdata_offset;
    int rdata_length;
} cresolv_record;

// Asks for records of `type` in class IN, through `options`'s servers or the system
// resolver's (/etc/resolv.conf). Blocks. Returns the length of the answer written to
// `answer`, or -1 with `status` saying why.
int cresolv_query(const char *name, int type, const cresolv_options *options, uint8_t *answer, int answer_size,
                  int *status);

// The number of answer records in a DNS message, and its RCODE; -1 when it is malformed.
int cresolv_answer_count(const uint8_t *message, int length, int *rcode);

// Decodes answer record `index`; 0 on success, -1 when the record is malformed.
int cresolv_answer_record(const uint8_t *message, int length, int index, cresolv_record *record);

#endif
