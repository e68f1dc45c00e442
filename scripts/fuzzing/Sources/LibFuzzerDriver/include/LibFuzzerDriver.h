#ifndef LIBFUZZER_DRIVER_H
#define LIBFUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry point for programs that have a main of their own (LLVM 11 and later): it
// parses libFuzzer's command line and runs `callback` on every input. SwiftPM gives each
// executable target its own main, so the fuzz targets start libFuzzer through this.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
