// Only the declaration in include/LibFuzzerDriver.h; libFuzzer itself is linked by
// -sanitize=fuzzer.
#include "LibFuzzerDriver.h"
