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
};

// One record of the answer section of a DNS message.
typedef struct {
    uint16_t type;
    // MX: the preference, and the exchange's name ("" or "." for the root, a null MX).
    uint16_t preference;
    char exchange[1025];
    // A: 4 octets, AAAA: 16.
    uint8_t address[16];
    int address_length;
} cresolv_record;

// Asks the system resolver (/etc/resolv.conf) for records of `type` in class IN. Blocks.
// Returns the length of the answer written to `answer`, or -1 with `status` saying why.
int cresolv_query(const char *name, int type, uint8_t *answer, int answer_size, int *status);

// The number of answer records in a DNS message, and its RCODE; -1 when it is malformed.
int cresolv_answer_count(const uint8_t *message, int length, int *rcode);

// Decodes answer record `index`; 0 on success, -1 when the record is malformed.
int cresolv_answer_record(const uint8_t *message, int length, int index, cresolv_record *record);

#endif
